/*
 * The one C lexer of the hand-written readers: the .i scanner, skim's
 * declaration reader, the header block and include-guard readers, and the
 * comment and literal blanking of source text all ask it what a comment, a
 * literal, a header name or a line splice is, as gcc's cpp decides it
 * (translation phases 1-3, no trigraphs: gcc ignores them by default).
 * Splices are followed between tokens and inside identifiers, numbers,
 * literals and `//` comments; not inside punctuators or comment openers.
 * The primitives work on char codes: the .i scanner is hot.
 */

export const TK_IDENT = 1, TK_NUMBER = 2, TK_STRING = 3, TK_CHAR = 4, TK_PUNCT = 5, TK_COMMENT = 6, TK_HEADER = 7, TK_OTHER = 8;
/** Names of the token kinds, by number (for tests and messages). */
export const TOKEN_KINDS = ["", "identifier", "number", "string", "char", "punctuator", "comment", "header-name", "other"] as const;

/** Punctuators of more than one character, longest first: the first that matches is the token (else one character is). */
const PUNCTUATORS = ["%:%:", "...", "<<=", ">>=", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "*=", "/=", "%=", "+=", "-=", "&=", "^=", "|=", "##", "<:", ":>", "<%", "%>", "%:"];

/** PUNCTUATORS by their first character (ASCII), longest first. */
const PUNCT_BY_FIRST: Array<string[] | undefined> = [];
for (const p of PUNCTUATORS) (PUNCT_BY_FIRST[p.charCodeAt(0)] ??= []).push(p);

export const isIdStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
export const isIdChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36;
const isDigit = (c: number) => c >= 48 && c <= 57;
/** Blanks other than the newline. */
export const isBlank = (c: number) => c === 32 || c === 9 || c === 13 || c === 12 || c === 11;

/** Length of the line splice (backslash, optional CR, newline) at s[i]; 0 when there is none. */
export function spliceAt(s: string, i: number): number {
  if (s.charCodeAt(i) !== 92) return 0;
  const n = s.charCodeAt(i + 1);
  if (n === 10) return 2;
  return n === 13 && s.charCodeAt(i + 2) === 10 ? 3 : 0;
}

/**
 * Index of the closing quote of the literal at s[i], for gcc -E output
 * (where every literal closes on its line): at the latest the character
 * before the line's end, or the backslash of a splice (the scan loop then
 * sees the newline); limit - 1 when the text ends first.
 */
export function skipLiteral(s: string, i: number, limit: number): number {
  const q = s.charCodeAt(i);
  let j = i + 1;
  for (; j < limit; j++) {
    const d = s.charCodeAt(j);
    if (d === 92 /* \ */) {
      if (s.charCodeAt(j + 1) === 10) return j;
      j++;
    } else if (d === q) return j;
    else if (d === 10) return j - 1;
  }
  return limit - 1;
}

/** Index just past the literal whose quote (`"` or `'`) is s[i], splices followed; -1 when it does not close on its line (gcc: not a literal). */
export function literalEnd(s: string, i: number, limit: number): number {
  const q = s.charCodeAt(i);
  for (let j = i + 1; j < limit; j++) {
    const d = s.charCodeAt(j);
    if (d === q) return j + 1;
    if (d === 10) return -1;
    if (d === 92) {
      j++;
      if (s.charCodeAt(j) === 13 && s.charCodeAt(j + 1) === 10) j++;
    }
  }
  return -1;
}

/**
 * Index just past the comment at s[i]: a block comment to its `*` `/` (an
 * unclosed one to limit), a line comment to its newline (not included; a
 * splice continues it). i when no comment starts there.
 */
export function commentEnd(s: string, i: number, limit: number): number {
  if (s.charCodeAt(i) !== 47) return i;
  const n = s.charCodeAt(i + 1);
  if (n === 42) {
    const e = s.indexOf("*/", i + 2);
    return e < 0 || e + 2 > limit ? limit : e + 2;
  }
  if (n !== 47) return i;
  for (let e = i + 2; ; e++) {
    e = s.indexOf("\n", e);
    if (e < 0 || e >= limit) return limit;
    if (!(s.charCodeAt(e - 1) === 92 || (s.charCodeAt(e - 1) === 13 && s.charCodeAt(e - 2) === 92))) return e;
  }
}

/** Index of the first character at or after i that is not a blank, newline, splice or comment (or limit). */
export function skipBlanksAndComments(s: string, i: number, limit: number): number {
  while (i < limit) {
    const c = s.charCodeAt(i);
    if (isBlank(c) || c === 10) i++;
    else if (c === 92 && spliceAt(s, i)) i += spliceAt(s, i);
    else {
      const e = commentEnd(s, i, limit);
      if (e === i) return i;
      i = e;
    }
  }
  return limit;
}

// Character classes of the token loop (ASCII; anything else is a one-character punctuator).
const C_OTHER = 0, C_BLANK = 1, C_NL = 2, C_ID = 3, C_DIGIT = 4;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) CLASS[c] = c === 10 ? C_NL : isBlank(c) ? C_BLANK : isIdStart(c) ? C_ID : isDigit(c) ? C_DIGIT : C_OTHER;

/** String and character prefixes (C11 and GNU C), and the raw-string ones gcc accepts in GNU C. */
const LITERAL_PREFIX = new Set(["L", "u", "U", "u8"]);
const RAW_PREFIX = new Set(["R", "LR", "uR", "UR", "u8R"]);

/**
 * A cursor over C text: next() moves to the next token and sets kind,
 * start and end (no allocation per token). `#` first on a line is a
 * directive's (atDirective); after `#include`, `#include_next` or
 * `#import`, `<...>` or `"..."` is one header-name token (no escapes). A
 * quote that does not close on its line starts an "other" token to the
 * line's end, as gcc makes it.
 */
export class CLexer {
  kind = 0;
  start = 0;
  end = 0;
  /** True when the current token is a `#` that begins a directive line. */
  atDirective = false;
  /** Nothing but blanks and comments since the line began. */
  private lineStart = true;
  /** 0: not in a directive; 1: after its `#`; 2: after `# include`; 3: later in it. */
  private directive = 0;

  constructor(
    readonly s: string,
    public pos = 0,
    readonly limit = s.length,
    /** Return comments as tokens (else they are skipped as blanks). */
    readonly comments = false,
    /** Every punctuator one character (`->` is `-` then `>`): for readers that follow brackets and separators only. */
    readonly singlePunctuators = false,
  ) {
    this.lineStart = pos === 0 || s.charCodeAt(pos - 1) === 10;
  }

  /** Moves to the next token; false at the end. */
  next(): boolean {
    const s = this.s;
    const limit = this.limit;
    let i = this.pos;
    let c = 0;
    for (;;) {
      if (i >= limit) {
        this.pos = limit;
        return false;
      }
      c = s.charCodeAt(i);
      const k = c < 128 ? CLASS[c]! : C_OTHER;
      if (k === C_BLANK) i++;
      else if (k === C_NL) {
        this.lineStart = true;
        this.directive = 0;
        i++;
      } else if (c === 92 && spliceAt(s, i)) i += spliceAt(s, i);
      else if (c === 47) {
        const e = commentEnd(s, i, limit);
        if (e === i) break;
        if (this.comments) return this.emit(TK_COMMENT, i, e);
        i = e;
      } else break;
    }
    const wasLineStart = this.lineStart;
    this.lineStart = false;
    this.atDirective = false;
    if (c === 35 /* # */ && wasLineStart) {
      this.directive = 1;
      this.atDirective = true;
      return this.emit(TK_PUNCT, i, i + 1);
    }
    if (this.directive === 2 && (c === 60 /* < */ || c === 34)) {
      const e = s.indexOf(c === 60 ? ">" : '"', i + 1);
      const nl = s.indexOf("\n", i + 1);
      this.directive = 3;
      if (e >= 0 && e < limit && (nl < 0 || e < nl)) return this.emit(TK_HEADER, i, e + 1);
    }
    const k = c < 128 ? CLASS[c]! : C_OTHER;
    if (k === C_ID) {
      let e = i + 1;
      for (;;) {
        while (e < limit && isIdChar(s.charCodeAt(e))) e++;
        const n = s.charCodeAt(e) === 92 ? spliceAt(s, e) : 0;
        if (n && e + n < limit && isIdChar(s.charCodeAt(e + n))) e += n;
        else break;
      }
      const q = s.charCodeAt(e);
      if ((q === 34 || q === 39) && e - i <= 3) {
        const prefix = s.slice(i, e);
        if (q === 34 && RAW_PREFIX.has(prefix)) {
          const r = rawStringEnd(s, e, limit);
          if (r > 0) return this.emit(TK_STRING, i, r);
        }
        if (LITERAL_PREFIX.has(prefix)) {
          const l = literalEnd(s, e, limit);
          if (l > 0) return this.emit(q === 34 ? TK_STRING : TK_CHAR, i, l);
        }
      }
      if (this.directive === 1) this.directive = /^(?:include|include_next|import)$/.test(s.slice(i, e)) ? 2 : 3;
      return this.emit(TK_IDENT, i, e);
    }
    if (this.directive) this.directive = 3;
    if (k === C_DIGIT || (c === 46 && isDigit(s.charCodeAt(i + 1)))) return this.emit(TK_NUMBER, i, this.numberEnd(i + 1));
    if (c === 34 || c === 39) {
      const l = literalEnd(s, i, limit);
      if (l > 0) return this.emit(c === 34 ? TK_STRING : TK_CHAR, i, l);
      return this.emit(TK_OTHER, i, lineEnd(s, i, limit));
    }
    const longer = c < 128 && !this.singlePunctuators ? PUNCT_BY_FIRST[c] : undefined;
    if (longer) for (const p of longer) if (i + p.length <= limit && s.startsWith(p, i)) return this.emit(TK_PUNCT, i, i + p.length);
    return this.emit(TK_PUNCT, i, i + 1);
  }

  /** The current token's text. */
  text(): string {
    return this.s.slice(this.start, this.end);
  }

  /** Goes on after the end of the current line (a directive's, with its splices). */
  skipLine(): void {
    let e = this.end;
    for (;;) {
      e = this.s.indexOf("\n", e);
      if (e < 0 || e >= this.limit) {
        this.pos = this.limit;
        return;
      }
      if (this.s.charCodeAt(e - 1) !== 92) break;
      e++;
    }
    this.pos = e;
  }

  private emit(kind: number, start: number, end: number): boolean {
    this.kind = kind;
    this.start = start;
    this.end = end;
    this.pos = end;
    return true;
  }

  /** A pp-number: digits, letters, dots, and a sign after an exponent letter. */
  private numberEnd(j: number): number {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(j);
      if (j >= this.limit) return j;
      if ((c === 43 || c === 45) && /[eEpP]/.test(s[j - 1]!)) j++;
      else if (isIdChar(c) && c !== 36) j++;
      else if (c === 46) j++;
      else if (spliceAt(s, j)) j += spliceAt(s, j);
      else return j;
    }
  }
}

/** Index of the newline that ends the line of s[i] (limit when none). */
function lineEnd(s: string, i: number, limit: number): number {
  const e = s.indexOf("\n", i);
  return e < 0 || e > limit ? limit : e;
}

/** Index just past the raw string whose `"` is s[q] (`"delim(...)delim"`); -1 when its delimiter is not one. */
function rawStringEnd(s: string, q: number, limit: number): number {
  const open = s.indexOf("(", q + 1);
  if (open < 0 || open - q - 1 > 16 || /[\s)\\"]/.test(s.slice(q + 1, open))) return -1;
  const close = s.indexOf(`)${s.slice(q + 1, open)}"`, open + 1);
  if (close < 0) return limit;
  return Math.min(limit, close + open - q + 1);
}

/** The text with its comments (and literals too when `literals`) turned into spaces, newlines kept: offsets stay valid. */
export function blankComments(text: string, literals = false): string {
  let out = "";
  let at = 0;
  const lx = new CLexer(text, 0, text.length, true);
  while (lx.next()) {
    if (lx.kind !== TK_COMMENT && !(literals && (lx.kind === TK_STRING || lx.kind === TK_CHAR))) continue;
    out += text.slice(at, lx.start) + text.slice(lx.start, lx.end).replace(/[^\n]/g, " ");
    at = lx.end;
  }
  return at === 0 ? text : out + text.slice(at);
}

/**
 * One line's code with each comment that closes on it replaced by a space
 * and the rest of one that does not dropped, and whether a block comment is
 * still open at its end (`open`: one was at its start). Literals are
 * followed, so `/*` inside one is text. For line-by-line readers of
 * directives (header blocks, include guards, #if depth).
 */
export function lineCode(line: string, open: boolean): { code: string; open: boolean } {
  let out = "";
  let i = 0;
  while (i < line.length) {
    if (open) {
      const e = line.indexOf("*/", i);
      if (e < 0) return { code: out, open: true };
      i = e + 2;
      open = false;
      out += " ";
      continue;
    }
    const c = line.charCodeAt(i);
    if (c === 34 || c === 39) {
      const e = literalEnd(line, i, line.length);
      const to = e < 0 ? line.length : e;
      out += line.slice(i, to);
      i = to;
      continue;
    }
    if (c === 47 && line.charCodeAt(i + 1) === 47) return { code: out, open: false };
    if (c === 47 && line.charCodeAt(i + 1) === 42) {
      open = true;
      i += 2;
      continue;
    }
    out += line[i];
    i++;
  }
  return { code: out, open };
}
