import type { OutputPiece } from "../model/plan.js";
import { homeOf, type TuContext } from "../model/tu.js";
import { identifierTokens } from "../resolve/rename.js";
import { compareText } from "../util/compare.js";

/**
 * A kernel header may `#define` a macro with the name of a function the TU defined before
 * that include (trace/events/ext4.h's `EXT4_I(inode)`, read by ialloc.c after ext4.h's
 * inline `EXT4_I`). The livepatch keeps the header's include ahead of every copy, so the
 * macro would expand inside the copied definition and inside the copies that call the
 * function. A copied function the TU read before the macro's first definition, that names
 * such a function, is wrapped in `#pragma push_macro`/`#undef` ... `#pragma pop_macro`:
 * its text then means what it meant in the TU, and the code after it sees the macro again.
 */
export function hideLaterMacros(ctx: TuContext, pieces: OutputPiece[]): OutputPiece[] {
  const firstDefinition = new Map<string, number>();
  const definedAt = (name: string): number => {
    let at = firstDefinition.get(name);
    if (at === undefined) {
      const m = new RegExp(`^#define ${name.replace(/\$/g, "\\$")}\\b`, "m").exec(ctx.tu.text);
      at = m ? m.index : -1;
      firstDefinition.set(name, at);
    }
    return at;
  };
  const shadows = (name: string, readAt: number): boolean => {
    const macros = ctx.tu.macros.get(name);
    if (!macros?.length || homeOf(ctx, macros[0]!) !== "header") return false;
    if (!(ctx.tu.decls.get(name) ?? []).some((d) => d.kind === "function" || d.kind === "prototype")) return false;
    const at = definedAt(name);
    return at > readAt;
  };
  return pieces.map((p) => {
    if (!p.defines || (p.kind !== "function" && p.kind !== "patched-function")) return p;
    const def = (ctx.tu.decls.get(p.defines) ?? []).find((d) => d.kind === "function");
    if (!def) return p;
    const names = new Set(identifierTokens(p.text).map((t) => t.name));
    const hidden = [...names].filter((n) => shadows(n, def.start)).sort(compareText);
    if (!hidden.length) return p;
    const push = hidden.map((n) => `#pragma push_macro("${n}")\n#undef ${n}`).join("\n");
    const pop = [...hidden].reverse().map((n) => `#pragma pop_macro("${n}")`).join("\n");
    return { ...p, text: `${push}\n${p.text}\n${pop}` };
  });
}
