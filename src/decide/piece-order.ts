import type { OutputPiece } from "../model/plan.js";
import { homeOf, type TuContext } from "../model/tu.js";
import { compareText } from "../util/compare.js";
import { redeclare } from "./declarator.js";

/**
 * Pieces in the order the compiler reads them: a private header's pieces stand
 * at the include line that brought it in (ext4.h before mballoc.c's own code,
 * extents_status.h before the ext4.h struct that embeds its types). Pieces of
 * files never visited (generated) come first.
 */
export function pieceOrder(includedAt: Map<string, number[]>) {
  const key = (p: OutputPiece) => [...(includedAt.get(p.origin) ?? [-1]), p.line];
  return (a: OutputPiece, b: OutputPiece) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
    return ka.length - kb.length || compareText(a.origin, b.origin);
  };
}

/** `text` with `static` put before the declaration that defines `name`. */
export function makeStatic(text: string, name: string): string {
  const at = text.indexOf(name);
  // Insert `static` at the start of the declaration (after any leading comment).
  const head = text.slice(0, at);
  const m = /^((?:\s*\/\*[\s\S]*?\*\/)*\s*)/.exec(head)!;
  return `${text.slice(0, m[1]!.length)}static ${text.slice(m[1]!.length)}`;
}

/**
 * In a function renamed klpp_NAME, __func__ (also inside macros: pr_fmt,
 * WARN) would print the new name: when the preprocessed body uses it, the
 * copy is wrapped in `#define __func__ "NAME"` ... `#undef`, so messages stay
 * as the kernel prints them.
 */
export function keepFuncName(preprocessed: string, name: string, text: string): string {
  if (!/\b__(?:func|FUNCTION)__\b/.test(preprocessed)) return text;
  const lit = JSON.stringify(name);
  return `#define __func__ ${lit}\n#define __FUNCTION__ ${lit}\n${text}\n#undef __FUNCTION__\n#undef __func__`;
}

/**
 * A replaced function called before its definition (sysctl.c's
 * proc_dointvec_minmax_warn_RT_change calls proc_dointvec_minmax, defined
 * later): the original relied on the header's prototype, which names the old
 * function, so klpp_NAME gets a static prototype of its own before its first use.
 */
export function declareBeforeUse(ctx: TuContext, body: OutputPiece[], patched: Set<string>): void {
  for (const name of [...patched].sort()) {
    const def = body.findIndex((p) => p.kind === "patched-function" && p.defines === name);
    const use = new RegExp(`\\bklpp_${name.replace(/\$/g, "\\$")}\\b`);
    const first = body.findIndex((p) => use.test(p.text));
    if (def < 0 || first < 0 || first >= def) continue;
    const decl = (ctx.tu.decls.get(name) ?? []).find((d) => d.kind === "function" && homeOf(ctx, d) !== "header");
    const r = decl ? redeclare(ctx.tu.text, decl, `klpp_${name}`) : undefined;
    if (!r) continue;
    const specifiers = r.specifiers.replace(/\b(?:static|extern|inline|__inline__|__inline)\b\s*/g, "");
    body.splice(first, 0, { origin: body[first]!.origin, line: body[first]!.line, kind: "prototype", text: `static ${specifiers} ${r.declarator};`, note: `prototype of klpp_${name}, used before its definition` });
  }
}
