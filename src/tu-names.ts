import type { computeClosure } from "./closure/closure.js";
import type { TranslationUnit } from "./model/tu.js";
import { compareText } from "./util/compare.js";

/** For explain: the function whose code first needed each copied function, type or symbol. */
export function usedByOf(closure: ReturnType<typeof computeClosure>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, by] of closure.neededBy) out[name] = by;
  for (const [name, need] of closure.symbols) out[name] ??= need.via;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => compareText(a, b)));
}

/** Functions the .c file defines that are live in this configuration and not `inline`. */
export function nonInlineFunctions(ctx: TranslationUnit): string[] {
  const names = new Set<string>();
  for (const decls of ctx.mainFileDecls().values()) {
    for (const d of decls) {
      if (d.kind === "function" && !d.inline && ctx.markerToRel.get(d.file) === ctx.relPath) names.add(d.name);
    }
  }
  return [...names].sort();
}
