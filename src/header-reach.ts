import { DiagnosticSink } from "./diagnostics/diagnostic.js";
import type { SymbolTable } from "./model/input.js";
import type { TranslationUnit } from "./model/tu.js";
import { ipaTargets } from "./closure/ipa-targets.js";

/**
 * The changed header inlines (by name) that a TU defines from a header, a
 * public or its directory's own, and that reach a function the running
 * kernel has (their IPA callers): what the TU's part must replace for the
 * header's change. Without a symbol table every one it defines.
 */
export function changedInlinesReaching(ctx: TranslationUnit, names: string[], symbols: SymbolTable | undefined): string[] {
  const defined = names.filter((n) => (ctx.tu.decls.get(n) ?? []).some((d) => d.kind === "function" && ctx.homeOf(d) !== "main"));
  return symbols ? defined.filter((n) => ipaTargets({ ctx, changed: [n], symbols, sink: new DiagnosticSink() }).length > 0) : defined;
}

/** A fix's changed header inlines that a TU of its own .c files runs (besides what it changes itself), with why. */
export function headerChangesReaching(ctx: TranslationUnit, changes: Array<{ name: string; why: string }>, touched: Array<{ name: string }>, symbols: SymbolTable | undefined): Array<{ name: string; why: string }> {
  const names = changes.map((c) => c.name).filter((n) => !touched.some((t) => t.name === n));
  return names.length ? changedInlinesReaching(ctx, names, symbols).map((name) => changes.find((c) => c.name === name)!) : [];
}
