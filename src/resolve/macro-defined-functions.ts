import type { MacroDefinedFunction, SourceFile } from "../model/syntax.js";
import { CLexer, TK_PUNCT, skipBlanksAndComments } from "../parse/c-lexer.js";

export type { MacroDefinedFunction } from "../model/syntax.js";

/**
 * `SYSCALL_DEFINEn(name, ...) { body }` and `COMPAT_SYSCALL_DEFINEn(name, ...) { body }`
 * (n = 0..6) at file scope. The body becomes the function `__do_sys_<name>` /
 * `__do_compat_sys_<name>` (include/linux/syscalls.h, include/linux/compat.h,
 * arch/x86/include/asm/syscall_wrapper.h); the stubs around it call it.
 */
const SYSCALL_MACRO = /(?:^|\n)[ \t]*((COMPAT_)?SYSCALL_DEFINE[0-6])[ \t]*\([ \t\n]*(\w+)/g;

/**
 * The macro-defined functions of a file. tree-sitter does not see them as
 * function definitions: `SYSCALL_DEFINE1(umask, int, mask)` is an
 * expression statement with a missing `;` (or part of an ERROR) followed by
 * a bare compound statement, and `SYSCALL_DEFINE0(getpid) {...}` a function
 * definition named SYSCALL_DEFINE0. So they are found in the text, at the
 * start of a line, where a top-level code item (not a comment or a
 * #define) is; their extent is the macro's argument list and the braces after
 * it, matched in the text.
 */
export function macroDefinedFunctions(file: SourceFile): MacroDefinedFunction[] {
  // Asked for by touched, assemble and decide (once per symbol): scanned once per file, kept in it.
  return (file.macroFunctions ??= scanMacroDefinedFunctions(file));
}

function scanMacroDefinedFunctions(file: SourceFile): MacroDefinedFunction[] {
  const { text } = file;
  if (!text.includes("SYSCALL_DEFINE")) return [];
  // Items with a node (not asked for: that would parse them), by the node's span.
  const code = file.items.filter((i) => (i.kind === "function" || i.kind === "other") && "node" in i);
  const out: MacroDefinedFunction[] = [];
  for (const m of text.matchAll(SYSCALL_MACRO)) {
    const at = m.index + m[0].indexOf(m[1]!);
    // Another signature of a call already found (an #elif alternative before the shared body).
    if (out.some((g) => at >= g.start && at < g.end)) continue;
    if (!code.some((i) => at >= i.codeStart && at < i.end)) continue;
    const argsEnd = skipGroup(text, at + m[1]!.length, "(", ")");
    if (argsEnd < 0) continue;
    const open = bodyStart(text, argsEnd);
    if (text[open] !== "{") continue;
    const end = skipGroup(text, open, "{", "}");
    if (end < 0) continue;
    // Alternative signatures under #if (clone's CONFIG_CLONE_BACKWARDS*): the call starts at the #if.
    const lineStart = text.lastIndexOf("\n", at - 1) + 1;
    const prevStart = lineStart > 0 ? text.lastIndexOf("\n", lineStart - 2) + 1 : lineStart;
    const from = lineStart > 0 && /^[ \t]*#[ \t]*if/.test(text.slice(prevStart, lineStart)) && /\n[ \t]*#[ \t]*endif/.test(text.slice(at, open)) ? prevStart : at;
    out.push({
      name: `${m[2] ? "__do_compat_sys_" : "__do_sys_"}${m[3]!}`,
      macro: m[1]!,
      macroArg: m[3]!,
      startLine: lineAt(text, from),
      endLine: lineAt(text, end - 1),
      start: from,
      end,
      bodyStart: open,
      text: text.slice(from, end),
    });
  }
  return out;
}

/** `SYSCALL_DEFINE1(umask, ...)`, `SYSCALL_DEFINE0(getpid)`. */
export function macroCall(g: MacroDefinedFunction): string {
  return `${g.macro}(${g.macroArg}${g.macro.endsWith("0") ? "" : ", ..."})`;
}

function lineAt(text: string, offset: number): number {
  let n = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/**
 * Where the body after a definition macro's arguments starts. Conditional
 * alternatives of the head may stand between (kernel/fork.c: one
 * SYSCALL_DEFINEn(clone, ...) per #if branch, then the one body after #endif).
 */
function bodyStart(text: string, from: number): number {
  let i = skipSpaceAndComments(text, from);
  for (;;) {
    if (text[i] === "#") {
      // A preprocessor line (outside a #define, `#` is nothing else), with its continuations.
      let e = text.indexOf("\n", i);
      while (e > 0 && text[e - 1] === "\\") e = text.indexOf("\n", e + 1);
      i = skipSpaceAndComments(text, e < 0 ? text.length : e);
      continue;
    }
    const head = /^(?:COMPAT_)?SYSCALL_DEFINE[0-6]/.exec(text.slice(i, i + 32));
    if (head) {
      const e = skipGroup(text, i + head[0].length, "(", ")");
      if (e < 0) return -1;
      i = skipSpaceAndComments(text, e);
      continue;
    }
    return i;
  }
}

function skipSpaceAndComments(text: string, from: number): number {
  return skipBlanksAndComments(text, from, text.length);
}

/** Index just past the group that opens at `from` (after blanks), skipping comments, strings and character constants; -1 when it does not close. */
export function skipGroup(text: string, from: number, open: string, close: string): number {
  const i = skipSpaceAndComments(text, from);
  if (text[i] !== open) return -1;
  let depth = 0;
  // The lexer skips comments and literals; a bracket is a one-character punctuator.
  const lx = new CLexer(text, i);
  while (lx.next()) {
    if (lx.kind !== TK_PUNCT || lx.end - lx.start !== 1) continue;
    const c = text[lx.start];
    if (c === open) depth++;
    else if (c === close && --depth === 0) return lx.end;
  }
  return -1;
}

/** Every function a (COMPAT_)SYSCALL_DEFINEn call generates on x86-64: the body, its sign-extending caller, the per-ABI entry points. */
export function generatedFunctionNames(g: Pick<MacroDefinedFunction, "macro" | "macroArg">): string[] {
  const sys = g.macro.startsWith("COMPAT_") ? `compat_sys_${g.macroArg}` : `sys_${g.macroArg}`;
  return [`__do_${sys}`, `__se_${sys}`, `__x64_${sys}`, `__ia32_${sys}`];
}
