import type { PpDecl } from "../model/syntax.js";
import type { TranslationUnit } from "../model/tu.js";

/** The inlines __DECLARE_TRACE makes for tracepoint X: trace_X, trace_X_enabled, trace_X_rcuidle, (un)register_trace_X ... */
const TRACE_PREFIX = /^(?:trace_|register_trace_prio_|register_trace_|unregister_trace_|check_trace_callback_type_)/;
const TRACE_INLINE = new RegExp(`${TRACE_PREFIX.source}(\\w+?)(?:_enabled|_rcuidle)?$`);

/**
 * A driver's own trace event (a private trace header such as
 * fs/nfs/nfs4trace.h, included with quotes) has inlines made by the same
 * trace macros as a kernel header's: a function of a local header whose
 * name is one of __DECLARE_TRACE's and whose tracepoint `__tracepoint_X` the
 * same header declares. The closure then walks it as header code (for the
 * symbols it reaches), so that it is copied as klpr_trace_X like a header
 * tracepoint (decide/tracepoints.ts), not from its expansion, whose static
 * call and jump labels cannot be bound.
 */
export function isPrivateTraceInline(ctx: TranslationUnit, d: PpDecl): boolean {
  if (d.kind !== "function" || ctx.homeOf(d) !== "local-header") return false;
  const m = TRACE_INLINE.exec(d.name);
  if (!m) return false;
  // trace_X_enabled may also be an event named X_enabled: either reading names a declared tracepoint.
  const events = [m[1]!, d.name.replace(TRACE_PREFIX, "")];
  return events.some((e) => (ctx.tu.decls.get(`__tracepoint_${e}`) ?? []).some((t) => (t.kind === "extern-variable" || t.kind === "variable") && t.file === d.file));
}
