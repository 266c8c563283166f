import type { OutputPiece } from "../model/plan.js";
import type { SymbolUse } from "../model/policy.js";
import type { TuContext } from "../model/tu.js";
import { redeclare } from "./declarator.js";
import { enumValueOf } from "./enum-values.js";

/** klp-reloc: the header's own declaration of `u`, bound to its .klp.sym name. */
export function bindByLabel(u: SymbolUse, sympos: number): OutputPiece {
  const text = `extern __typeof__(${u.name}) ${u.name} __asm__("\\".klp.sym.${u.object}.${u.name},${sympos}\\"");`;
  return { origin: "klp-ccp", line: 0, kind: "externalized", text, note: `externalized ${u.name} under its own name: only header code the module compiles names it; ${u.reason}` };
}

export function externalizedDecl(ctx: TuContext, u: SymbolUse, mode: "kallsyms" | "klp-reloc"): string {
  const decl = (ctx.tu.decls.get(u.name) ?? []).find((d) => d.kind !== "enumerator" && d.kind !== "typedef" && d.kind !== "tag")!;
  const sympos = u.decision.kind === "externalize" ? u.decision.sympos : 0;
  if (mode === "kallsyms") {
    const r = redeclare(ctx.tu.text, decl, `(*klpe_${u.name})`, enumValueOf(ctx.tu));
    return r ? `static ${r.specifiers} ${r.declarator};` : `static typeof(${u.name}) *klpe_${u.name};`;
  }
  const r = redeclare(ctx.tu.text, decl, `klpe_${u.name}`, enumValueOf(ctx.tu));
  const label = `__asm__("\\".klp.sym.${u.object}.${u.name},${sympos}\\"")`;
  return r ? `extern ${r.specifiers} ${r.declarator} ${label};` : `extern typeof(${u.name}) klpe_${u.name} ${label};`;
}
