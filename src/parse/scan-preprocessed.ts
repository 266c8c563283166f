import type { LineMarker } from "./line-markers.js";

/** A `#define` line of `gcc -E -dD` output. */
export interface DefineLine {
  name: string;
  /** Offset of the `#` in the .i text. */
  offset: number;
  /** 0-based .i line. */
  iLine: number;
  /** The whole `#define NAME...` line. */
  text: string;
}

/** An `#include` line of `gcc -dI` output (one per include the preprocessor processed). */
export interface IncludeLine {
  offset: number;
  /** 0-based .i line. */
  iLine: number;
}

/**
 * The top-level pieces of a .i text, found by one linear scan: chunk i spans
 * [starts[i], ends[i]) from its first character to its `;` or the `}` of its
 * function body. Each is one top-level declaration, definition or statement.
 */
export interface Chunks {
  starts: number[];
  ends: number[];
  /** Offset of the function body's `{`, or -1 when the chunk is no function definition. */
  bodies: number[];
  /** 0-based .i line of the chunk's first character. */
  lines: number[];
  /** True when a line marker inside the chunk names another file than the one it starts in. */
  mixed: boolean[];
}

/** Everything the scan of a .i text finds. */
export interface TuScan {
  text: string;
  /** Offset where each .i line starts. */
  lineStarts: number[];
  markers: LineMarker[];
  defines: DefineLine[];
  includes: IncludeLine[];
  chunks: Chunks;
  /**
   * For each name a chunk may declare (a superset of what it really declares:
   * declarator-like identifiers outside bodies and initialisers, tags, enumerators),
   * the chunks in TU order.
   */
  candidates: Map<string, number[]>;
}

// Character classes for the scan loop (ASCII only; everything else is ordinary).
const ORD = 0, NL = 1, QUOTE = 2, OPEN = 3, CLOSE = 4, SEMI = 5, COMMA = 6, IDSTART = 7, DIGIT = 8, SLASH = 9, EQ = 10, SPACE = 11;
const CLS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  CLS[c] = /[A-Za-z_$]/.test(ch) ? IDSTART : /[0-9]/.test(ch) ? DIGIT : ch === "\n" ? NL : ch === '"' || ch === "'" ? QUOTE
    : "([{".includes(ch) ? OPEN : ")]}".includes(ch) ? CLOSE : ch === ";" ? SEMI : ch === "," ? COMMA : ch === "/" ? SLASH : ch === "=" ? EQ
    : ch === " " || ch === "\t" || ch === "\r" || ch === "\f" || ch === "\v" ? SPACE : ORD;
}
// Characters the skipping loop must look at (0: none of its business).
const SKIPCLS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const k = CLS[c]!;
  SKIPCLS[c] = k === NL || k === QUOTE || k === OPEN || k === CLOSE || k === SEMI || k === COMMA || k === SLASH ? k : 0;
}
/** Index of the first character at or after i that the skipping loop must look at (or limit). */
function nextInteresting(s: string, i: number, limit: number): number {
  for (; i < limit; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && SKIPCLS[c] !== 0) return i;
  }
  return limit;
}
/** True when s[i] starts `__attribute__`, `__attribute`, `asm`, `__asm__` or `__asm`. */
function attrOrAsmAt(s: string, i: number): boolean {
  let j = i;
  while (j < s.length && isIdChar(s.charCodeAt(j))) j++;
  const kw = keyword(s, i, j);
  return kw === KW_ATTR || kw === KW_ASM;
}
const isWordChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
const isIdChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36;

// Kinds of a group the scan skips (only brackets, quotes and lines are followed inside).
const SK_NONE = 0, SK_BODY = 1, SK_INIT = 2, SK_ENUMVAL = 3, SK_ATTR = 4, SK_OTHER = 5, SK_GROUP = 6;
// Frames the scan looks into: a declarator or parameter group, a struct/union body, an enum body.
const FR_PAREN = 1, FR_DATA = 2, FR_ENUM = 3;
// The last significant thing at the chunk's top level (for telling function bodies from others).
const LAST_NONE = 0, LAST_RPAREN = 1, LAST_OTHER = 2;
// Keyword-like identifiers the scan reacts to.
const KW_NONE = 0, KW_TAG = 1, KW_ENUM = 2, KW_ATTR = 3, KW_ASM = 4, KW_TYPEOF = 5, KW_SKIPCALL = 6;

function keyword(s: string, a: number, b: number): number {
  const n = b - a;
  const c0 = s.charCodeAt(a);
  if (c0 === 95 /* _ */) {
    if (n === 13 && s.startsWith("__attribute__", a)) return KW_ATTR;
    if (n === 11 && s.startsWith("__attribute", a)) return KW_ATTR;
    if (n === 7 && s.startsWith("__asm__", a)) return KW_ASM;
    if (n === 5 && s.startsWith("__asm", a)) return KW_ASM;
    if (n === 10 && s.startsWith("__typeof__", a)) return KW_TYPEOF;
    if (n === 8 && s.startsWith("__typeof", a)) return KW_TYPEOF;
    if (n === 14 && s.startsWith("_Static_assert", a)) return KW_SKIPCALL;
    return KW_NONE;
  }
  if (n === 6 && (s.startsWith("struct", a) || s.startsWith("typeof", a))) return c0 === 115 ? KW_TAG : KW_TYPEOF;
  if (n === 5 && s.startsWith("union", a)) return KW_TAG;
  if (n === 4 && s.startsWith("enum", a)) return KW_ENUM;
  if (n === 3 && s.startsWith("asm", a)) return KW_ASM;
  return KW_NONE;
}

const MARKER = /^# (\d+) "((?:[^"\\]|\\.)*)"((?: \d)*)\s*$/;

/**
 * Splits gcc's preprocessed output into top-level chunks in one pass, and
 * collects line markers, `-dD` defines and `-dI` includes on the way. Text
 * can be pushed in pieces (while the preprocessor still writes), each piece
 * is scanned up to its last complete line.
 */
export class PreprocessedScanner {
  private readonly pieces: string[] = [];
  private carry = "";
  /** Offset of the first character of `carry` in the whole text. */
  private base = 0;
  private iLine = 0;
  private readonly lineStarts: number[] = [0];
  private readonly markers: LineMarker[] = [];
  private readonly defines: DefineLine[] = [];
  private readonly includes: IncludeLine[] = [];
  private readonly chunks: Chunks = { starts: [], ends: [], bodies: [], lines: [], mixed: [] };
  private readonly candidates = new Map<string, number[]>();
  private curFile = "";

  // Scan state that survives piece boundaries.
  private chunkStart = -1;
  private chunkFile = "";
  private chunkMixed = false;
  private chunkBody = -1;
  private skip = SK_NONE;
  private skipDepth = 0;
  private readonly frames: number[] = [];
  private last = LAST_NONE;
  /** After struct/union/enum: 1 = keyword seen, 2 = name seen too. */
  private tagState = 0;
  private tagIsEnum = false;
  /** The tag's name after struct/union/enum: tagText.slice(tagStart, tagEnd). */
  private tagText: string | undefined;
  private tagStart = 0;
  private tagEnd = 0;
  /** An identifier (pendingText.slice(pendingStart, pendingEnd)) waiting for the next significant character to tell whether it may be a declared name. */
  private pendingText: string | undefined;
  private pendingStart = 0;
  private pendingEnd = 0;
  private pendingFrame = 0;
  /** A keyword (attribute, asm, typeof...) waiting for its `(`. */
  private pendingKw = KW_NONE;
  /** In an enum body: the next identifier starts an enumerator. */
  private enumItem = false;
  /** Struct, union and enum bodies open around the scan position. */
  private dataFrames = 0;

  push(piece: string): void {
    const s = this.carry + piece;
    const lastNl = s.lastIndexOf("\n");
    if (lastNl < 0) {
      this.carry = s;
      return;
    }
    this.scan(s, lastNl + 1);
    this.pieces.push(s.slice(0, lastNl + 1));
    this.base += lastNl + 1;
    this.carry = s.slice(lastNl + 1);
  }

  finish(): TuScan {
    if (this.carry) {
      this.scan(this.carry, this.carry.length);
      this.pieces.push(this.carry);
      this.base += this.carry.length;
      this.carry = "";
    }
    if (this.chunkStart >= 0) this.endChunk(this.base);
    const text = this.pieces.length === 1 ? this.pieces[0]! : this.pieces.join("");
    this.pieces.length = 0;
    return { text, lineStarts: this.lineStarts, markers: this.markers, defines: this.defines, includes: this.includes, chunks: this.chunks, candidates: this.candidates };
  }

  private addCandidate(name: string): void {
    const ci = this.chunks.starts.length;
    const list = this.candidates.get(name);
    if (!list) this.candidates.set(name, [ci]);
    else if (list[list.length - 1] !== ci) list.push(ci);
  }

  private endChunk(end: number): void {
    const c = this.chunks;
    c.starts.push(this.chunkStart);
    c.ends.push(end);
    c.bodies.push(this.chunkBody);
    c.mixed.push(this.chunkMixed);
    this.chunkStart = -1;
    this.chunkBody = -1;
    this.chunkMixed = false;
    this.frames.length = 0;
    this.dataFrames = 0;
    this.last = LAST_NONE;
    this.tagState = 0;
    this.pendingText = undefined;
    this.tagText = undefined;
    this.pendingKw = KW_NONE;
  }

  /** A directive line starting at s[i] (a `#` at a line start); returns the index of its newline (or `limit`). */
  private directive(s: string, i: number, limit: number): number {
    let e = s.indexOf("\n", i);
    if (e < 0 || e > limit) e = limit;
    const abs = this.base + i;
    if (s.startsWith("#define ", i)) {
      let j = i + 8;
      while (j < e && isWordChar(s.charCodeAt(j))) j++;
      if (j > i + 8 && !(s.charCodeAt(i + 8) >= 48 && s.charCodeAt(i + 8) <= 57)) this.defines.push({ name: s.slice(i + 8, j), offset: abs, iLine: this.iLine, text: s.slice(i, e) });
    } else if (s.startsWith("#include", i)) {
      this.includes.push({ offset: abs, iLine: this.iLine });
    } else if (s.charCodeAt(i + 1) === 32) {
      const m = MARKER.exec(s.slice(i, e));
      if (m) {
        const flags = m[3]!.trim() ? m[3]!.trim().split(" ").map(Number) : [];
        const file = m[2]!.replace(/\\(.)/g, "$1");
        this.markers.push({ iLine: this.iLine, line: Number(m[1]), file, flags });
        this.curFile = file;
        if (this.chunkStart >= 0 && file !== this.chunkFile) this.chunkMixed = true;
      }
    }
    return e;
  }

  private startChunk(abs: number): void {
    this.chunkStart = abs;
    this.chunkFile = this.curFile;
    this.chunks.lines.push(this.iLine);
  }

  /** Decides a pending identifier now that the next significant character s[i] is known. */
  private resolvePending(c: number, s: string, i: number): void {
    const ps = this.pendingText!;
    const a = this.pendingStart;
    const b = this.pendingEnd;
    this.pendingText = undefined;
    const frame = this.pendingFrame;
    let take = false;
    if (c === 123 /* { */) take = true;
    else if (frame === 0) {
      // Declared names are followed by ( [ ; , = : or an attribute / asm label.
      take = c === 40 || c === 91 || c === 59 || c === 44 || c === 61 || c === 58 || (c < 128 && CLS[c] === IDSTART && attrOrAsmAt(s, i));
    } else if (frame === FR_PAREN) {
      // Inside a declarator group `(*name)`, `(*name(...))`, `(*name[..])`; parameter names mostly end in `,`.
      take = c === 41 || c === 40 || c === 91 || (c < 128 && CLS[c] === IDSTART && attrOrAsmAt(s, i));
    }
    if (take) this.addCandidate(ps.slice(a, b));
  }

  private scan(s: string, limit: number): void {
    let i = 0;
    if (s.charCodeAt(0) === 35 /* # */) i = this.directive(s, 0, limit);
    const lineStarts = this.lineStarts;
    const base = this.base;
    let skip = this.skip;
    let skipDepth = this.skipDepth;
    while (i < limit) {
      if (skip !== SK_NONE) {
        // Inside a function body, initialiser, attribute...: follow only lines, literals and brackets.
        let done = false;
        for (; i < limit; i++) {
          const c = s.charCodeAt(i);
          if (c >= 128) continue;
          const k = SKIPCLS[c]!;
          if (k === 0) continue;
          if (k === NL) {
            this.iLine++;
            lineStarts.push(base + i + 1);
            if (i + 1 < limit && s.charCodeAt(i + 1) === 35) i = this.directive(s, i + 1, limit) - 1;
          } else if (k === QUOTE) {
            i = skipLiteral(s, i, limit);
          } else if (k === SLASH) {
            i = skipComment(s, i, limit, this);
          } else if (k === OPEN) {
            skipDepth++;
          } else if (k === CLOSE) {
            if (skip === SK_INIT || skip === SK_ENUMVAL) {
              if (--skipDepth >= 0) continue;
              // A close at depth 0 ends the enclosing frame (the enum body's `}`).
              skipDepth = 0;
              skip = SK_NONE;
              this.closeFrame(c);
              done = true;
              break;
            }
            if (--skipDepth > 0) continue;
            skipDepth = 0;
            const kind = skip;
            skip = SK_NONE;
            if (kind === SK_BODY) this.endChunk(base + i + 1);
            // An attribute is blank to the grammar: `last` stays what it was.
            else if (kind !== SK_ATTR && this.frames.length === 0) this.last = LAST_OTHER;
            done = true;
            break;
          } else if (skipDepth === 0) {
            // `;` or `,` at the level of an initialiser or enumerator value.
            if (skip === SK_INIT) {
              skip = SK_NONE;
              if (k === SEMI) this.endChunk(base + i + 1);
              else this.last = LAST_OTHER;
              done = true;
              break;
            }
            if (skip === SK_ENUMVAL && k === COMMA) {
              skip = SK_NONE;
              this.enumItem = true;
              done = true;
              break;
            }
          }
        }
        if (done) i++;
        continue;
      }

      const c = s.charCodeAt(i);
      const k = c < 128 ? CLS[c]! : ORD;
      if (k === SPACE) {
        i++;
        continue;
      }
      if (k === NL) {
        this.iLine++;
        lineStarts.push(base + i + 1);
        if (i + 1 < limit && s.charCodeAt(i + 1) === 35) i = this.directive(s, i + 1, limit);
        else i++;
        continue;
      }
      // Declaration level: a chunk starts at its first significant character.
      if (this.chunkStart < 0) this.startChunk(base + i);
      if (this.pendingText !== undefined) this.resolvePending(c, s, i);
      const frame = this.frames.length ? this.frames[this.frames.length - 1]! : 0;
      if (k === IDSTART) {
        let j = i + 1;
        while (j < limit && isIdChar(s.charCodeAt(j))) j++;
        const kw = keyword(s, i, j);
        this.pendingKw = KW_NONE;
        if (kw === KW_TAG || kw === KW_ENUM) {
          this.tagState = 1;
          this.tagIsEnum = kw === KW_ENUM;
        } else if (kw !== KW_NONE) {
          this.pendingKw = kw;
        } else {
          if (this.tagState === 1) {
            this.tagState = 2;
            this.tagText = s;
            this.tagStart = i;
            this.tagEnd = j;
          } else this.tagState = 0;
          if (frame === FR_ENUM && this.enumItem) {
            this.addCandidate(s.slice(i, j));
            this.enumItem = false;
          } else if (this.dataFrames === 0 || frame === FR_ENUM) {
            this.pendingText = s;
            this.pendingStart = i;
            this.pendingEnd = j;
            this.pendingFrame = frame;
          } else if (this.tagState === 2) {
            this.pendingText = s;
            this.pendingStart = i;
            this.pendingEnd = j;
            this.pendingFrame = FR_DATA;
          }
        }
        if (frame === 0) this.last = LAST_OTHER;
        i = j;
        continue;
      }
      if (k === DIGIT) {
        let j = i + 1;
        while (j < limit && (isIdChar(s.charCodeAt(j)) || s.charCodeAt(j) === 46)) j++;
        this.tagState = 0;
        if (frame === 0) this.last = LAST_OTHER;
        i = j;
        continue;
      }
      if (k === QUOTE) {
        i = skipLiteral(s, i, limit) + 1;
        this.tagState = 0;
        if (frame === 0) this.last = LAST_OTHER;
        continue;
      }
      if (k === SLASH && (s.charCodeAt(i + 1) === 42 || s.charCodeAt(i + 1) === 47)) {
        i = skipComment(s, i, limit, this) + 1;
        continue;
      }
      i++;
      if (k === OPEN) {
        if (c === 40 /* ( */) {
          const kw = this.pendingKw;
          this.pendingKw = KW_NONE;
          if (kw === KW_ATTR) {
            // An attribute keeps the tag state: struct __attribute__((packed)) foo {
            skip = SK_ATTR;
            skipDepth = 1;
            continue;
          }
          this.tagState = 0;
          if (kw !== KW_NONE) {
            skip = SK_OTHER;
            skipDepth = 1;
          } else this.frames.push(FR_PAREN);
          continue;
        }
        if (c === 91 /* [ */) {
          this.tagState = 0;
          skip = SK_GROUP;
          skipDepth = 1;
          continue;
        }
        // `{`
        if (this.tagState !== 0) {
          if (this.tagState === 2) this.addCandidate(this.tagText!.slice(this.tagStart, this.tagEnd));
          this.pushData(this.tagIsEnum ? FR_ENUM : FR_DATA);
          this.enumItem = this.tagIsEnum;
          this.tagState = 0;
          continue;
        }
        if (frame === 0 && this.last === LAST_RPAREN) {
          this.chunkBody = base + i - 1;
          skip = SK_BODY;
          skipDepth = 1;
          continue;
        }
        if (s.charCodeAt(prevNonSpace(s, i - 1)) === 40) {
          // A statement expression ({ ... }).
          skip = SK_GROUP;
          skipDepth = 1;
          continue;
        }
        this.pushData(FR_DATA);
        continue;
      }
      this.tagState = 0;
      this.pendingKw = KW_NONE;
      if (k === CLOSE) {
        this.closeFrame(c);
        continue;
      }
      if (k === EQ) {
        // `=` at declaration level starts an initialiser or an enumerator's value.
        if (frame === 0) {
          skip = SK_INIT;
          skipDepth = 0;
        } else if (frame === FR_ENUM) {
          skip = SK_ENUMVAL;
          skipDepth = 0;
        }
        continue;
      }
      if (k === SEMI) {
        if (frame === 0) this.endChunk(base + i);
        continue;
      }
      if (k === COMMA) {
        if (frame === FR_ENUM) this.enumItem = true;
        if (frame === 0) this.last = LAST_OTHER;
        continue;
      }
      if (frame === 0) this.last = LAST_OTHER;
    }
    this.skip = skip;
    this.skipDepth = skipDepth;
  }

  private pushData(kind: number): void {
    this.frames.push(kind);
    this.dataFrames++;
  }

  private closeFrame(c: number): void {
    const top = this.frames.pop();
    if (top === FR_DATA || top === FR_ENUM) this.dataFrames--;
    if (this.frames.length === 0) this.last = top === FR_PAREN && c === 41 ? LAST_RPAREN : LAST_OTHER;
    const now = this.frames.length ? this.frames[this.frames.length - 1]! : 0;
    if (now === FR_ENUM) this.enumItem = false;
  }

  /** Counts a line skipped inside a comment (comments are rare in -E output; kept for robustness). */
  countLine(abs: number): void {
    this.iLine++;
    this.lineStarts.push(abs + 1);
  }

  get offset(): number {
    return this.base;
  }
}

function prevNonSpace(s: string, i: number): number {
  let j = i - 1;
  while (j > 0 && CLS[s.charCodeAt(j)] === SPACE) j--;
  return j;
}

/** Index of the closing quote of the literal starting at s[i] (or of the line end: literals do not span lines). */
function skipLiteral(s: string, i: number, limit: number): number {
  const q = s.charCodeAt(i);
  let j = i + 1;
  for (; j < limit; j++) {
    const d = s.charCodeAt(j);
    if (d === 92 /* \ */) {
      if (s.charCodeAt(j + 1) === 10) break; // a backslash-newline: leave the newline to the scan loop
      j++;
    } else if (d === q) return j;
    else if (d === 10) return j - 1;
  }
  return Math.min(j, limit) - 1;
}

/** Index of the last character of the comment starting at s[i] (`/` not starting a comment: i). */
function skipComment(s: string, i: number, limit: number, scanner: PreprocessedScanner): number {
  const n = s.charCodeAt(i + 1);
  if (n === 47) {
    const e = s.indexOf("\n", i);
    return (e < 0 || e > limit ? limit : e) - 1;
  }
  if (n !== 42) return i;
  let j = i + 2;
  for (; j < limit - 1; j++) {
    const d = s.charCodeAt(j);
    if (d === 10) scanner.countLine(scanner.offset + j);
    else if (d === 42 && s.charCodeAt(j + 1) === 47) return j + 1;
  }
  return limit - 1;
}

/** Scans a whole .i text at once. */
export function scanPreprocessed(text: string): TuScan {
  const s = new PreprocessedScanner();
  s.push(text);
  return s.finish();
}
