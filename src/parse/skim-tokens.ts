/*
 * The tokens skim.ts reads a top-level chunk as: the raw .i text with
 * directive lines skipped and normalize-preprocessed's edits applied token by
 * token, and the word classes of C's declaration specifiers.
 */

export const T_ID = 1, T_NUM = 2, T_STR = 3, T_PUNCT = 4;

export interface Tokens {
  kind: number[];
  start: number[];
  end: number[];
  /** The word (identifiers, after normalisation) or the punctuation character. */
  text: string[];
}

export const STORAGE = new Set(["extern", "static", "auto", "register", "inline", "__forceinline", "thread_local", "__thread"]);
export const QUALIFIER = new Set(["const", "constexpr", "volatile", "restrict", "_Atomic", "_Noreturn", "noreturn", "_Nonnull"]);
export const PRIMITIVE = new Set([
  "bool", "char", "int", "float", "double", "void", "size_t", "ssize_t", "ptrdiff_t", "intptr_t", "uintptr_t", "charptr_t",
  "nullptr_t", "max_align_t", "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t",
  "char8_t", "char16_t", "char32_t", "char64_t",
]);
export const SIZED = new Set(["signed", "unsigned", "long", "short"]);
/** Words tree-sitter-c never takes as a plain identifier (keywords of the grammar). */
export const RESERVED = new Set([
  ...STORAGE, ...QUALIFIER, ...PRIMITIVE, ...SIZED, "typedef", "struct", "union", "enum", "asm", "sizeof", "_Alignof",
  "alignof", "__alignof__", "__alignof", "offsetof", "_Generic", "if", "else", "for", "while", "do", "switch", "case",
  "default", "return", "break", "continue", "goto", "true", "false", "NULL", "nullptr", "alignas", "_Alignas",
  "__declspec", "__based", "__cdecl", "__clrcall", "__stdcall", "__fastcall", "__thiscall", "__vectorcall", "_unaligned",
  "__unaligned", "__try", "__except", "__finally", "__leave", "__extension__", "__restrict__", "__attribute__", "__attribute",
  "__asm__", "__asm", "__inline", "__inline__", "_Static_assert", "static_assert", "__volatile__", "__signed__", "__const",
  "typeof", "__typeof__", "__typeof", "__auto_type", "_Thread_local", "__forceinline",
]);
/** Identifiers normalize-preprocessed replaces by another word. */
const RENAMED = new Map([["__inline__", "inline"], ["__inline", "inline"], ["__signed__", "signed"], ["__volatile__", "volatile"], ["__const", "const"], ["__asm__", "asm"], ["__asm", "asm"], ["__auto_type", "int"]]);
/** Identifiers normalize-preprocessed blanks. */
const BLANKED = new Set(["__extension__", "__restrict__", "__restrict"]);
/** Identifiers that, followed by a parenthesised group, normalize-preprocessed replaces with the group by a stand-in ("" blanks). */
const WITH_GROUP = new Map([
  ["__attribute__", ""], ["__attribute", ""], ["_Static_assert", ""], ["typeof", "int"], ["__typeof__", "int"], ["__typeof", "int"],
  ["__builtin_offsetof", "0"], ["__builtin_types_compatible_p", "0"], ["__builtin_va_arg", "0"],
]);

const isIdStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
const isIdChar = (c: number) => isIdStart(c) || (c >= 48 && c <= 57);
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;

/** Tokens of text[start, end), directive lines skipped, normalisation applied; undefined when something is odd. */
export function tokenize(text: string, start: number, end: number): Tokens | undefined {
  const raw: Tokens = { kind: [], start: [], end: [], text: [] };
  let i = start;
  let depth = 0;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 35 /* # */ && (i === 0 || text.charCodeAt(i - 1) === 10)) {
      const e = text.indexOf("\n", i);
      i = e < 0 ? end : e;
      continue;
    }
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (isIdStart(c)) {
      let j = i + 1;
      while (j < end && isIdChar(text.charCodeAt(j))) j++;
      raw.kind.push(T_ID);
      raw.start.push(i);
      raw.end.push(j);
      raw.text.push(text.slice(i, j));
      i = j;
      continue;
    }
    if (c >= 48 && c <= 57) {
      let j = i + 1;
      while (j < end && (isIdChar(text.charCodeAt(j)) || text.charCodeAt(j) === 46)) j++;
      raw.kind.push(T_NUM);
      raw.start.push(i);
      raw.end.push(j);
      raw.text.push("0");
      i = j;
      continue;
    }
    if (c === 34 || c === 39) {
      let j = i + 1;
      while (j < end && text.charCodeAt(j) !== c) {
        if (text.charCodeAt(j) === 10) return undefined;
        if (text.charCodeAt(j) === 92) j++;
        j++;
      }
      if (j >= end) return undefined;
      raw.kind.push(T_STR);
      raw.start.push(i);
      raw.end.push(j + 1);
      raw.text.push('""');
      i = j + 1;
      continue;
    }
    if (c === 47 && (text.charCodeAt(i + 1) === 42 || text.charCodeAt(i + 1) === 47)) return undefined; // comments: not in -E output
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
    else if (c === 61 && depth === 0) {
      // An initialiser: nothing in it is declared. One stand-in token up to the next `,` or `;`.
      const e = initializerEnd(text, i + 1, end);
      if (e < 0) return undefined;
      push(raw, T_PUNCT, i, i + 1, "=");
      push(raw, T_NUM, i + 1, e, "0");
      i = e;
      continue;
    }
    raw.kind.push(T_PUNCT);
    raw.start.push(i);
    raw.end.push(i + 1);
    raw.text.push(text[i]!);
    i++;
  }
  // normalize-preprocessed's edits, on tokens.
  const out: Tokens = { kind: [], start: [], end: [], text: [] };
  const n = raw.kind.length;
  for (let t = 0; t < n; t++) {
    const w = raw.text[t]!;
    if (raw.kind[t] === T_ID) {
      const stand = WITH_GROUP.get(w);
      if (stand !== undefined && raw.text[t + 1] === "(" && raw.kind[t + 1] === T_PUNCT) {
        const close = matching(raw, t + 1);
        if (close < 0) return undefined;
        if (stand) push(out, stand === "0" ? T_NUM : T_ID, raw.start[t]!, raw.end[close]!, stand);
        t = close;
        continue;
      }
      if (BLANKED.has(w)) continue;
      const renamed = RENAMED.get(w);
      if (renamed) {
        push(out, T_ID, raw.start[t]!, raw.end[t]!, renamed);
        continue;
      }
      // `asm inline` → `asm`
      if (w === "inline" && out.text[out.text.length - 1] === "asm" && out.kind[out.kind.length - 1] === T_ID && raw.text[t - 1] === "asm") continue;
    }
    push(out, raw.kind[t]!, raw.start[t]!, raw.end[t]!, w);
  }
  return out;
}

/** Index of the `,` or `;` ending the initialiser that starts at text[i] (outside brackets and literals), or -1. */
function initializerEnd(text: string, i: number, end: number): number {
  let depth = 0;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 || c === 39) {
      let j = i + 1;
      while (j < end && text.charCodeAt(j) !== c) {
        if (text.charCodeAt(j) === 10) return -1;
        if (text.charCodeAt(j) === 92) j++;
        j++;
      }
      i = j;
    } else if (c === 35 && text.charCodeAt(i - 1) === 10) {
      const e = text.indexOf("\n", i);
      if (e < 0) return -1;
      i = e;
    } else if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) {
      if (--depth < 0) return -1;
    } else if (depth === 0 && (c === 44 || c === 59)) return i;
  }
  return -1;
}

export function push(t: Tokens, kind: number, start: number, end: number, text: string): void {
  t.kind.push(kind);
  t.start.push(start);
  t.end.push(end);
  t.text.push(text);
}

/** Index of the token closing the bracket at t (or -1). */
export function matching(toks: Tokens, t: number): number {
  let depth = 0;
  for (let u = t; u < toks.kind.length; u++) {
    if (toks.kind[u] !== T_PUNCT) continue;
    const p = toks.text[u]!;
    if (p === "(" || p === "[" || p === "{") depth++;
    else if (p === ")" || p === "]" || p === "}") {
      if (--depth === 0) return u;
      if (depth < 0) return -1;
    }
  }
  return -1;
}
