import type { OutputPiece } from "../model/plan.js";
import { homeOf, type TuContext } from "../model/tu.js";

/**
 * A driver's own trace event (a private trace header's trace_X, copied as
 * klpr_trace_X like a header tracepoint: tracepoints.ts) reaches
 * `__tracepoint_X` and `__traceiter_X`, which that private header declares:
 * their declarations (klpe_ pointers, or extern ones for an exported tracepoint
 * reached by name) are made where the header's macro call stands
 * (after the driver's types the iterator's prototype names), so the copy
 * goes right after the later of them instead of after the includes.
 * `tracepoints`: header inline → its tracepoint's name.
 */
export function placePrivateTracepoints(ctx: TuContext, body: OutputPiece[], tracepoints: Map<string, string> | undefined): OutputPiece[] {
  if (!tracepoints?.size) return body;
  let out = body;
  for (const piece of body) {
    const name = /^tracepoint inline (\S+) /.exec(piece.origin === "klp-ccp" ? (piece.note ?? "") : "")?.[1];
    const event = name ? tracepoints.get(name) : undefined;
    if (!event || !isPrivate(ctx, event)) continue;
    const declares = (p: OutputPiece) => p !== piece && (p.kind === "externalized" || p.kind === "declaration") && new RegExp(`\\b(?:klpe_)?__trace(?:point|iter)_${event}\\b`).test(p.text);
    const rest = out.filter((p) => p !== piece);
    const at = rest.reduce((last, p, i) => (declares(p) ? i : last), -1);
    if (at < 0) continue;
    out = [...rest.slice(0, at + 1), piece, ...rest.slice(at + 1)];
  }
  return out;
}

/** True when tracepoint `event` is declared only by the TU's own files (a driver's private trace header). */
function isPrivate(ctx: TuContext, event: string): boolean {
  const decls = ctx.tu.decls.get(`__tracepoint_${event}`) ?? [];
  return decls.length > 0 && decls.every((d) => homeOf(ctx, d) !== "header");
}
