import type { SourceLocation } from "../diagnostics/diagnostic.js";
import { homeOf, type TuContext } from "../model/tu.js";
import { freeReferences } from "../resolve/free-references.js";

/**
 * Where the livepatch's code (the replaced and copied functions of the .c
 * file) names one of `names` other than by calling it: it takes its address.
 */
export function livepatchAddressUses(ctx: TuContext, functions: Set<string>, names: Set<string>): Map<string, SourceLocation[]> {
  const out = new Map<string, SourceLocation[]>();
  if (!names.size) return out;
  for (const item of ctx.main.items) {
    if (item.kind !== "function" || !functions.has(item.name ?? "") || !item.node) continue;
    for (const ref of freeReferences(item.node)) {
      if (ref.isCall || !names.has(ref.name)) continue;
      const line = ctx.main.text.slice(0, ref.start).split("\n").length;
      out.set(ref.name, [...(out.get(ref.name) ?? []), { file: ctx.relPath, line, column: 1 }]);
    }
  }
  return out;
}

/**
 * True when the TU's own code, outside the functions the patch changed, names
 * `name` other than in a call or a declaration (`name` not followed by `(`):
 * an ops table, a callback argument. Read on the preprocessed TU, so that
 * macro-made uses count. Errs towards "taken" only for an odd token use
 * (sizeof, a string), which keeps a real refusal from being raised, never a
 * wrong one.
 */
export function tuTakesAddress(ctx: TuContext, name: string, changed: Iterable<string>): boolean {
  const skip = [...changed].flatMap((f) => (ctx.tu.decls.get(f) ?? []).filter((d) => d.kind === "function" && homeOf(ctx, d) !== "header"));
  const text = ctx.tu.text;
  const re = new RegExp(`\\b${name.replace(/\$/g, "\\$")}\\b(?!\\s*\\()`, "g");
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (skip.some((d) => m!.index >= d.start && m!.index < d.end)) continue;
    if (homeOf(ctx, { file: ctx.tu.origin(m.index).file }) === "header") continue;
    return true;
  }
  return false;
}
