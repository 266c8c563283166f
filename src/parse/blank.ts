import { CLexer, TK_PUNCT, skipBlanksAndComments } from "./c-lexer.js";

/**
 * Offset-preserving text edits: a replacement is padded with spaces (and
 * keeps every newline of what it replaces), so positions in the edited text
 * are positions in the original. That lets every later stage slice the
 * original text with offsets taken from the tree of the edited one.
 */
export function blankRange(chars: string[], start: number, end: number, replacement = ""): void {
  let r = 0;
  for (let i = start; i < end; i++) {
    if (chars[i] === "\n") continue;
    chars[i] = r < replacement.length ? replacement[r++]! : " ";
  }
}

/** Index just past the parenthesised group that starts at or after `from` (which must be "("; comments, literals and splices skipped as the lexer reads them). */
export function skipParens(text: string, from: number): number {
  const lx = new CLexer(text, skipBlanksAndComments(text, from, text.length));
  if (text[lx.pos] !== "(") return -1;
  let depth = 0;
  while (lx.next()) {
    if (lx.kind !== TK_PUNCT || lx.end - lx.start !== 1) continue;
    const c = text.charCodeAt(lx.start);
    if (c === 40) depth++;
    else if (c === 41 && --depth === 0) return lx.end;
  }
  return -1;
}
