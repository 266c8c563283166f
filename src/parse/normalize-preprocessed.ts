import { blankRange, skipParens } from "./blank.js";
import { WITH_GROUP, WORDS } from "./gnu-words.js";

/** The table's words: (1) a word with a group, (2) a word, or `asm` (3: the blanks) `inline`. */
const EDITS = new RegExp(String.raw`\b(?:(${[...WITH_GROUP.keys()].join("|")})(?=\s*\()|(${[...WORDS.keys()].join("|")})\b|asm(\s+)inline\b)`, "g");

/**
 * Makes (a piece of) gcc's preprocessed output parseable by tree-sitter-c
 * without moving any offset: directive lines (line markers, -dD defines,
 * pragmas) become blank lines, and GNU constructs the grammar lacks become
 * spaces or a stand-in of the same syntactic role (FACTS.md: this takes
 * kernel TUs to ~0 errors). The original text is kept for everything that
 * is copied or shown. skim-tokens.ts applies the same table (gnu-words.ts) to tokens.
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
  // One pass: an edit inside a group an earlier (outer) edit replaced is skipped, so the outermost wins.
  for (const m of text.matchAll(EDITS)) {
    const e = m[1] ? paren(text, m, WITH_GROUP.get(m[1])!) : m[2] ? word(m, WORDS.get(m[2])!) : ([m.index! + 3 + m[3]!.length, m.index! + m[0].length, ""] as const);
    // Skip matches inside a range an earlier edit already blanked.
    if (e && chars[e[0]] === text[e[0]]) blankRange(chars, e[0], e[1], e[2]);
  }
  return chars.join("");
}

function paren(text: string, m: RegExpMatchArray, stand: string): readonly [number, number, string] | undefined {
  const end = skipParens(text, m.index! + m[0].length);
  return end < 0 ? undefined : [m.index!, end, stand];
}

function word(m: RegExpMatchArray, stand: string): readonly [number, number, string] {
  return [m.index!, m.index! + m[0].length, stand];
}
