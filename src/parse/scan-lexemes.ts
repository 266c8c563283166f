import { isIdChar, skipLiteral } from "./c-lexer.js";
import { FNV_BASIS, FNV_PRIME, hashName } from "./name-index.js";

// Character classes for the scan loop (ASCII only; everything else is ordinary).
export const ORD = 0, NL = 1, QUOTE = 2, OPEN = 3, CLOSE = 4, SEMI = 5, COMMA = 6, IDSTART = 7, DIGIT = 8, SLASH = 9, EQ = 10, SPACE = 11;
export const CLS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  CLS[c] = /[A-Za-z_$]/.test(ch) ? IDSTART : /[0-9]/.test(ch) ? DIGIT : ch === "\n" ? NL : ch === '"' || ch === "'" ? QUOTE
    : "([{".includes(ch) ? OPEN : ")]}".includes(ch) ? CLOSE : ch === ";" ? SEMI : ch === "," ? COMMA : ch === "/" ? SLASH : ch === "=" ? EQ
    : ch === " " || ch === "\t" || ch === "\r" || ch === "\f" || ch === "\v" ? SPACE : ORD;
}
// Characters the skipping loop must look at (0: none of its business).
export const SKIPCLS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const k = CLS[c]!;
  SKIPCLS[c] = k === NL || k === QUOTE || k === OPEN || k === CLOSE || k === SEMI || k === COMMA || k === SLASH ? k : 0;
}
/** Where the scan of a struct or union body must look: also the keywords that open nested bodies. */
export const DATA_STOPS = /[{}"'/]|\n#|\b(?:struct|union|enum)\b/g;

/** Index of the first character at or after i that is neither blank nor part of an attribute (or limit; stops at directive lines). */
export function skipSpaceAndAttributes(s: string, i: number, limit: number): number {
  for (;;) {
    while (i < limit && (CLS[s.charCodeAt(i)] === SPACE || (s.charCodeAt(i) === 10 && s.charCodeAt(i + 1) !== 35))) i++;
    if (!(s.startsWith("__attribute", i) && CLS[s.charCodeAt(i)] === IDSTART)) return i;
    let e = i;
    while (e < limit && isIdChar(s.charCodeAt(e))) e++;
    const word = e - i;
    if (word !== 11 && word !== 13) return i;
    let k = e;
    while (k < limit && (CLS[s.charCodeAt(k)] === SPACE || s.charCodeAt(k) === 10)) k++;
    if (s.charCodeAt(k) !== 40) return i;
    let depth = 0;
    for (; k < limit; k++) {
      const c = s.charCodeAt(k);
      if (c === 34 || c === 39) k = skipLiteral(s, k, limit);
      else if (c === 40) depth++;
      else if (c === 41 && --depth === 0) break;
    }
    i = k + 1;
  }
}

/** Where the scan of a function body must look: braces, literals, comments, directive lines. */
export const BODY_STOPS = /[{}"'/]|\n#/g;
export const isWordChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;

// Kinds of a group the scan skips (only brackets, literals and lines are followed inside).
export const SK_NONE = 0, SK_BODY = 1, SK_INIT = 2, SK_ENUMVAL = 3, SK_ATTR = 4, SK_OTHER = 5;
// Frames the scan looks into: a struct/union body, an enum body, and parenthesised groups: one
// just opened, a declarator group (it starts with `*` or `(`: `(*name)(...)`), a group that
// holds one identifier so far (`(name)`), any other group (parameters...).
export const FR_DATA = 2, FR_ENUM = 3, FR_PAREN = 1, FR_PAREN_DECL = 4, FR_PAREN_ONE = 5, FR_PAREN_OTHER = 6;
export const isParen = (f: number) => f === FR_PAREN || f >= FR_PAREN_DECL;
// The last significant thing at the chunk's top level (for telling function bodies from others).
export const LAST_NONE = 0, LAST_RPAREN = 1, LAST_OTHER = 2;
// Keyword-like identifiers the scan reacts to.
export const KW_NONE = 0, KW_TAG = 1, KW_ENUM = 2, KW_ATTR = 3, KW_ASM = 4, KW_SKIPCALL = 5;

/** hash → [word, kind] of the identifiers that change how the scan reads what follows. */
export const KEYWORDS = new Map<number, [string, number]>(
  ([
    ["struct", KW_TAG], ["union", KW_TAG], ["enum", KW_ENUM],
    ["__attribute__", KW_ATTR], ["__attribute", KW_ATTR],
    ["asm", KW_ASM], ["__asm__", KW_ASM], ["__asm", KW_ASM],
    ["typeof", KW_SKIPCALL], ["__typeof__", KW_SKIPCALL], ["__typeof", KW_SKIPCALL], ["_Static_assert", KW_SKIPCALL],
  ] as Array<[string, number]>).map(([w, k]) => [hashName(w), [w, k]]),
);

/** The keyword kind of identifier s[a, b) with hash h. */
export function keywordOf(h: number, s: string, a: number, b: number): number {
  const kw = KEYWORDS.get(h);
  return kw && kw[0].length === b - a && s.startsWith(kw[0], a) ? kw[1] : KW_NONE;
}

/** True when s[i] starts `__attribute__`, `__attribute`, `asm`, `__asm__` or `__asm`. */
export function attrOrAsmAt(s: string, i: number): boolean {
  let h = FNV_BASIS;
  let j = i;
  for (; j < s.length; j++) {
    const d = s.charCodeAt(j);
    if (!isIdChar(d)) break;
    h = Math.imul(h ^ d, FNV_PRIME);
  }
  const kw = keywordOf(h | 0, s, i, j);
  return kw === KW_ATTR || kw === KW_ASM;
}

const MARKER = /^# (\d+) "((?:[^"\\]|\\.)*)"((?: \d)*)\s*$/;

/** A `# N "file" flags` line (s[i, e)), or undefined when the line is something else. */
export function parseMarker(s: string, i: number, e: number): { line: number; file: string; flags: number[] } | undefined {
  // Fast path for the usual shape; anything unusual goes through the full pattern.
  let j = i + 2;
  let line = 0;
  while (j < e) {
    const d = s.charCodeAt(j);
    if (d < 48 || d > 57) break;
    line = line * 10 + (d - 48);
    j++;
  }
  if (j === i + 2 || s.charCodeAt(j) !== 32 || s.charCodeAt(j + 1) !== 34) return undefined;
  let q = j + 2;
  while (q < e && s.charCodeAt(q) !== 34 && s.charCodeAt(q) !== 92) q++;
  if (q >= e || s.charCodeAt(q) === 92) {
    const m = MARKER.exec(s.slice(i, e));
    if (!m) return undefined;
    return { line: Number(m[1]), file: m[2]!.replace(/\\(.)/g, "$1"), flags: m[3]!.trim() ? m[3]!.trim().split(" ").map(Number) : [] };
  }
  const flags: number[] = [];
  let k = q + 1;
  while (k + 1 < e && s.charCodeAt(k) === 32) {
    const d = s.charCodeAt(k + 1);
    if (d < 48 || d > 57) break;
    flags.push(d - 48);
    k += 2;
  }
  while (k < e && CLS[s.charCodeAt(k)] === SPACE) k++;
  if (k !== e) return undefined;
  return { line, file: s.slice(j + 2, q), flags };
}

export function prevNonSpace(s: string, i: number): number {
  let j = i - 1;
  while (j > 0 && CLS[s.charCodeAt(j)] === SPACE) j--;
  return j;
}
