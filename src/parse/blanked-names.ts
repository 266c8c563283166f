import type { NameReference } from "../model/references.js";
import { skipParens } from "./blank.js";

/**
 * Names inside the GNU constructs that normalisation replaces before
 * tree-sitter reads the text (normalize-preprocessed.ts, normalize-source.ts):
 * `typeof(...)`, `__builtin_offsetof(T, m)`, `_Static_assert(...)`,
 * `__attribute__((...))` and the builtins that take a type. The tree no
 * longer has them, yet the code needs what they name (a typedef only a
 * typeof names, a cleanup function, an enumerator in `aligned(N)`).
 *
 * Returned as references with their offsets in `text`, for freeReferences
 * to filter against the scopes in force there. Member names (after `.` or
 * `->`, the member operand of offsetof) and an attribute's own name are not
 * references; a word after struct/union/enum is a tag.
 */
export function blankedNames(text: string, start: number, end: number): NameReference[] {
  const out: NameReference[] = [];
  const piece = text.slice(start, end);
  for (const m of piece.matchAll(BLANKED_GROUP)) {
    const open = start + m.index + m[0].length;
    const close = skipParens(text, open);
    if (close < 0 || close > end) continue;
    const word = m[0];
    if (word.startsWith("__attribute")) attributeNames(text, open, close, out);
    else if (word === "__builtin_offsetof" || word === "offsetof") names(text, open + 1, firstComma(text, open, close), out);
    else names(text, open + 1, close - 1, out);
  }
  // Nested groups (a typeof inside an attribute) are met twice: keep each identifier once.
  const seen = new Set<number>();
  return out.filter((r) => !seen.has(r.start) && (seen.add(r.start), true)).sort((a, b) => a.start - b.start);
}

const BLANKED_GROUP = /\b(?:__attribute__|__attribute|__typeof__|__typeof|typeof|__builtin_offsetof|offsetof|_Static_assert|__builtin_types_compatible_p|__builtin_va_arg)(?=\s*\()/g;

/** Words that are C keywords or builtins, never file-scope names. */
const KEYWORDS = new Set([
  "struct", "union", "enum", "const", "volatile", "restrict", "signed", "unsigned", "short", "long", "int", "char",
  "float", "double", "void", "_Bool", "sizeof", "typeof", "__typeof__", "__typeof", "_Alignof", "__alignof__",
  "__extension__", "__volatile__", "__const", "__signed__", "__restrict", "__restrict__", "__inline", "__inline__",
  "inline", "static", "extern", "register", "__auto_type", "_Atomic", "__int128",
]);

/** Identifiers of text[from, to) that may name file-scope things. */
function names(text: string, from: number, to: number, out: NameReference[]): void {
  const re = /[A-Za-z_$][\w$]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|->|\./g;
  re.lastIndex = from;
  let prev = "";
  for (let m = re.exec(text); m && m.index < to; m = re.exec(text)) {
    const w = m[0];
    const isWord = /^[A-Za-z_$]/.test(w);
    if (isWord && prev !== "." && prev !== "->" && !KEYWORDS.has(w) && !w.startsWith("__builtin_")) {
      const tag = prev === "struct" || prev === "union" || prev === "enum";
      out.push({ name: w, namespace: tag ? "tag" : "ordinary", start: m.index, end: m.index + w.length, isCall: /^\s*\(/.test(text.slice(m.index + w.length, m.index + w.length + 8)) });
    }
    prev = w;
  }
}

/** In `__attribute__((a, b(x, y)))` only the arguments name things (`x`, `y`), and not format's archetype. */
function attributeNames(text: string, open: number, close: number, out: NameReference[]): void {
  const re = /[A-Za-z_$][\w$]*(?=\s*\()/g;
  re.lastIndex = open + 1;
  for (let m = re.exec(text); m && m.index < close; m = re.exec(text)) {
    const argsOpen = text.indexOf("(", m.index + m[0].length);
    const argsClose = skipParens(text, argsOpen);
    if (argsClose < 0 || argsClose > close) break;
    const isFormat = /^_*format_*$/.test(m[0]);
    names(text, isFormat ? firstComma(text, argsOpen, argsClose) : argsOpen + 1, argsClose - 1, out);
    re.lastIndex = argsClose;
  }
}

/** Offset of the first top-level comma of the group text[open, close), or close - 1. */
function firstComma(text: string, open: number, close: number): number {
  let depth = 0;
  for (let i = open; i < close; i++) {
    const c = text[i];
    if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (c === "," && depth === 1) return i;
  }
  return close - 1;
}
