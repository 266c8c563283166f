import { blankRange, skipParens } from "./blank.js";

/**
 * Makes (a piece of) gcc's preprocessed output parseable by tree-sitter-c
 * without moving any offset: directive lines (line markers, -dD defines,
 * pragmas) become blank lines, and GNU constructs the grammar lacks become
 * spaces or a stand-in of the same syntactic role (FACTS.md: this takes
 * kernel TUs to ~0 errors). The original text is kept for everything that
 * is copied or shown. skim-tokens.ts applies the same edits to tokens: keep them in step.
 */
export function normalizePreprocessed(text: string): string {
  const chars = text.split("");
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf("\n", pos);
    const end = nl < 0 ? text.length : nl;
    if (text.charCodeAt(pos) === 35 /* # */) blankRange(chars, pos, end);
    pos = end + 1;
  }
  const edits: Array<[RegExp, (m: RegExpMatchArray) => [number, number, string] | undefined]> = [
    [/\b__attribute__\b|\b__attribute\b/g, (m) => paren(text, m, "")],
    [/\b(?:__typeof__|__typeof|typeof)(?=\s*\()/g, (m) => paren(text, m, "int")],
    [/\b__builtin_offsetof(?=\s*\()/g, (m) => paren(text, m, "0")],
    [/\b__builtin_types_compatible_p(?=\s*\()/g, (m) => paren(text, m, "0")],
    [/\b__builtin_va_arg(?=\s*\()/g, (m) => paren(text, m, "0")],
    [/\b_Static_assert(?=\s*\()/g, (m) => paren(text, m, "")],
    [/\b__extension__\b|\b__restrict__\b|\b__restrict\b|\b__auto_type\b/g, (m) => word(m, m[0] === "__auto_type" ? "int" : "")],
    [/\b__inline__\b|\b__inline\b/g, (m) => word(m, "inline")],
    [/\b__signed__\b/g, (m) => word(m, "signed")],
    [/\b__volatile__\b/g, (m) => word(m, "volatile")],
    [/\b__const\b/g, (m) => word(m, "const")],
    [/\basm(\s+)inline\b/g, (m) => [m.index! + 3 + m[1]!.length, m.index! + m[0].length, ""]],
    [/\b__asm__\b|\b__asm\b/g, (m) => word(m, "asm")],
  ];
  for (const [re, edit] of edits) {
    for (const m of text.matchAll(re)) {
      const e = edit(m);
      // Skip matches inside a range an earlier edit already blanked.
      if (e && chars[e[0]] === text[e[0]]) blankRange(chars, e[0], e[1], e[2]);
    }
  }
  return chars.join("");
}

function paren(text: string, m: RegExpMatchArray, stand: string): [number, number, string] | undefined {
  const end = skipParens(text, m.index! + m[0].length);
  return end < 0 ? undefined : [m.index!, end, stand];
}

function word(m: RegExpMatchArray, stand: string): [number, number, string] {
  return [m.index!, m.index! + m[0].length, stand];
}
