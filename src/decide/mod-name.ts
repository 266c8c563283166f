import type { TuContext } from "../model/tu.js";
import { applyRenames, identifierTokens, type Rename } from "../resolve/rename.js";

/**
 * The original object's KBUILD_MODNAME as a C string literal (`"capability"`):
 * kbuild passes it on the TU's command line (-DKBUILD_MODNAME='"capability"'),
 * and `gcc -E -dD` prints that as a `<command-line>` #define. Undefined when
 * unknown (a ready .i without -dD), and then copied text is left as it is.
 */
export function originalModName(ctx: TuContext): string | undefined {
  const literal = /^"[^"\\\n]*"$/;
  const flag = [...(ctx.compileFlags ?? [])].reverse().find((a) => a.startsWith("-DKBUILD_MODNAME="))?.slice("-DKBUILD_MODNAME=".length);
  if (flag !== undefined) return literal.test(flag) ? flag : undefined;
  const defs = (ctx.tu.macros.get("KBUILD_MODNAME") ?? []).filter((m) => m.file === "<command-line>");
  const value = /^#\s*define\s+KBUILD_MODNAME\s+(.*?)\s*$/.exec(defs[defs.length - 1]?.definition ?? "")?.[1];
  return value !== undefined && literal.test(value) ? value : undefined;
}

/**
 * `text` with the identifier KBUILD_MODNAME (outside comments and strings, and
 * not where a directive names the macro itself) replaced by `literal`, the
 * original object's name: in the livepatch kbuild defines KBUILD_MODNAME as
 * the livepatch's own name, so `pr_fmt` would print `livepatch_x: ...`.
 */
export function withModName(text: string, literal: string): string {
  const renames: Rename[] = [];
  for (const t of identifierTokens(text)) {
    if (t.name !== "KBUILD_MODNAME") continue;
    const lineStart = text.lastIndexOf("\n", t.start - 1) + 1;
    if (/(?:^\s*#\s*(?:ifdef|ifndef|undef|define)|\bdefined)\s*\(?\s*$/.test(text.slice(lineStart, t.start))) continue;
    renames.push({ start: t.start, end: t.end, text: `${literal} /* the original KBUILD_MODNAME, not the livepatch's */` });
  }
  return applyRenames(text, renames);
}
