import type { OriginalFunction } from "../model/plan.js";
import type { TranslationUnit } from "../model/tu.js";
import { generatedFunctionNames, macroDefinedFunctions } from "../resolve/macro-defined-functions.js";

/**
 * The preprocessed definitions of the functions a livepatch may define:
 * `names` (replaced and copied ones), the header inlines copied as `klpr_X`
 * (named in the pieces' text) and every function a copied SYSCALL_DEFINEn
 * generates. A name without a definition in the TU is left out: the check
 * then reports the copy as having no original.
 */
export function originalFunctions(ctx: TranslationUnit, names: Iterable<string>, pieceTexts: string[]): OriginalFunction[] {
  const wanted = new Set(names);
  for (const text of pieceTexts) for (const m of text.matchAll(/\bklpr_(\w+)/g)) wanted.add(m[1]!);
  for (const call of macroDefinedFunctions(ctx.main)) {
    const generated = generatedFunctionNames(call);
    if (generated.some((n) => wanted.has(n))) for (const n of generated) wanted.add(n);
  }
  const out: OriginalFunction[] = [];
  for (const name of [...wanted].sort()) {
    const defs = (ctx.tu.decls.get(name) ?? []).filter((d) => d.kind === "function");
    // The TU's own definition first; a header's static inline (klpr_ copies) otherwise.
    const d = defs.find((x) => ctx.homeOf(x) !== "header") ?? defs[0];
    if (!d) continue;
    out.push({ name, markerFile: d.file, line: d.line, file: ctx.markerToRel.get(d.file) ?? d.file, text: ctx.tu.text.slice(d.start, d.end) });
  }
  return out;
}
