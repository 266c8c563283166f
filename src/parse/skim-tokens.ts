/*
 * The tokens skim.ts reads a top-level chunk as: the C lexer's tokens of the
 * raw .i text with directive lines skipped and the normalisation table
 * (gnu-words.ts) applied token by token, and the word classes of C's
 * declaration specifiers.
 */
import { CLexer, TK_CHAR, TK_IDENT, TK_NUMBER, TK_PUNCT, TK_STRING, commentEnd, literalEnd } from "./c-lexer.js";
import { WITH_GROUP, WORDS } from "./gnu-words.js";

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
/** Tokens of text[start, end) (the C lexer's, every punctuator one character), directive lines skipped, normalisation applied; undefined when something is odd. */
export function tokenize(text: string, start: number, end: number): Tokens | undefined {
  const raw: Tokens = { kind: [], start: [], end: [], text: [] };
  let depth = 0;
  const lx = new CLexer(text, start, end, true, true);
  while (lx.next()) {
    const k = lx.kind;
    const i = lx.start;
    if (lx.atDirective) {
      lx.skipLine();
      continue;
    }
    if (k === TK_IDENT) push(raw, T_ID, i, lx.end, lx.text());
    else if (k === TK_NUMBER) push(raw, T_NUM, i, lx.end, "0");
    else if (k === TK_STRING || k === TK_CHAR) push(raw, T_STR, i, lx.end, '""');
    else if (k !== TK_PUNCT) return undefined; // comments (not in -E output), unterminated literals
    else {
      const c = text.charCodeAt(i);
      if (c === 40 || c === 91 || c === 123) depth++;
      else if (c === 41 || c === 93 || c === 125) depth--;
      else if (c === 61 && depth === 0) {
        // An initialiser: nothing in it is declared. One stand-in token up to the next `,` or `;`.
        const e = initializerEnd(text, i + 1, end);
        if (e < 0) return undefined;
        push(raw, T_PUNCT, i, i + 1, "=");
        push(raw, T_NUM, i + 1, e, "0");
        lx.pos = e;
        continue;
      }
      push(raw, T_PUNCT, i, i + 1, text[i]!);
    }
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
      const renamed = WORDS.get(w);
      if (renamed === "") continue;
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

/** Index of the `,` or `;` ending the initialiser that starts at text[i] (outside brackets, literals and comments), or -1. A character loop over the lexer's primitives: initialisers can be long tables. */
function initializerEnd(text: string, i: number, end: number): number {
  let depth = 0;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 || c === 39) {
      const e = literalEnd(text, i, end);
      if (e < 0) return -1;
      i = e - 1;
    } else if (c === 35 && text.charCodeAt(i - 1) === 10) {
      const e = text.indexOf("\n", i);
      if (e < 0) return -1;
      i = e;
    } else if (c === 47) i = Math.max(i, commentEnd(text, i, end) - 1);
    else if (c === 40 || c === 91 || c === 123) depth++;
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
