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

/** Index just past the parenthesised group that starts at or after `from` (which must be "("). */
export function skipParens(text: string, from: number): number {
  let i = from;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  if (text[i] !== "(") return -1;
  let depth = 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      i = skipQuoted(text, i);
      continue;
    }
    if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i + 1;
  }
  return -1;
}

function skipQuoted(text: string, start: number): number {
  const q = text[start];
  let i = start + 1;
  while (i < text.length && text[i] !== q) {
    if (text[i] === "\\") i++;
    i++;
  }
  return i;
}
