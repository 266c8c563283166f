import type { LineMarker } from "./line-markers.js";
import { NameIndex } from "./name-index.js";

/** The `#define` lines of `gcc -E -dD` output: define i is text.slice(offsets[i], ends[i]). */
export interface Defines {
  /** Offset of the `#`. */
  offsets: number[];
  /** Offset of the line end. */
  ends: number[];
  /** The name is text.slice(offsets[i] + 8, nameEnds[i]). */
  nameEnds: number[];
  /** 0-based .i line. */
  lines: number[];
  /** hash of the name → define numbers. */
  byName: NameIndex;
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
  defines: Defines;
  includes: IncludeLine[];
  chunks: Chunks;
  /**
   * hash of a name → the chunks that may declare it, in TU order: a superset of
   * the truth (declarator-like identifiers outside bodies and initialisers, tags,
   * enumerators), checked by whoever looks a name up.
   */
  candidates: NameIndex;
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
const isWordChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
const isIdChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36;

// Kinds of a group the scan skips (only brackets, literals and lines are followed inside).
const SK_NONE = 0, SK_BODY = 1, SK_INIT = 2, SK_ENUMVAL = 3, SK_ATTR = 4, SK_OTHER = 5;
// Frames the scan looks into: a declarator or parameter group, a struct/union body, an enum body.
const FR_PAREN = 1, FR_DATA = 2, FR_ENUM = 3;
// The last significant thing at the chunk's top level (for telling function bodies from others).
const LAST_NONE = 0, LAST_RPAREN = 1, LAST_OTHER = 2;
// Keyword-like identifiers the scan reacts to.
const KW_NONE = 0, KW_TAG = 1, KW_ENUM = 2, KW_ATTR = 3, KW_ASM = 4, KW_SKIPCALL = 5;

const FNV_BASIS = 0x811c9dc5;
const FNV_PRIME = 16777619;
const fnv = (w: string) => {
  let h = FNV_BASIS;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), FNV_PRIME);
  return h | 0;
};
/** hash → [word, kind] of the identifiers that change how the scan reads what follows. */
const KEYWORDS = new Map<number, [string, number]>(
  ([
    ["struct", KW_TAG], ["union", KW_TAG], ["enum", KW_ENUM],
    ["__attribute__", KW_ATTR], ["__attribute", KW_ATTR],
    ["asm", KW_ASM], ["__asm__", KW_ASM], ["__asm", KW_ASM],
    ["typeof", KW_SKIPCALL], ["__typeof__", KW_SKIPCALL], ["__typeof", KW_SKIPCALL], ["_Static_assert", KW_SKIPCALL],
  ] as Array<[string, number]>).map(([w, k]) => [fnv(w), [w, k]]),
);

/** The keyword kind of identifier s[a, b) with hash h. */
function keywordOf(h: number, s: string, a: number, b: number): number {
  const kw = KEYWORDS.get(h);
  return kw && kw[0].length === b - a && s.startsWith(kw[0], a) ? kw[1] : KW_NONE;
}

/** True when s[i] starts `__attribute__`, `__attribute`, `asm`, `__asm__` or `__asm`. */
function attrOrAsmAt(s: string, i: number): boolean {
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
function parseMarker(s: string, i: number, e: number): { line: number; file: string; flags: number[] } | undefined {
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

/** Index of the closing quote of the literal starting at s[i] (literals end at a line end at the latest). */
function skipLiteral(s: string, i: number, limit: number): number {
  const q = s.charCodeAt(i);
  let j = i + 1;
  for (; j < limit; j++) {
    const d = s.charCodeAt(j);
    if (d === 92 /* \ */) {
      if (s.charCodeAt(j + 1) === 10) return j; // backslash-newline: leave the newline to the scan loop
      j++;
    } else if (d === q) return j;
    else if (d === 10) return j - 1;
  }
  return limit - 1;
}

function prevNonSpace(s: string, i: number): number {
  let j = i - 1;
  while (j > 0 && CLS[s.charCodeAt(j)] === SPACE) j--;
  return j;
}

/**
 * Splits gcc's preprocessed output into top-level chunks in one pass, and
 * collects line markers, `-dD` defines and `-dI` includes on the way. Text
 * can be pushed in pieces (while the preprocessor still writes); each piece
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
  private readonly defines: Defines = { offsets: [], ends: [], nameEnds: [], lines: [], byName: new NameIndex(15) };
  private readonly includes: IncludeLine[] = [];
  private readonly chunks: Chunks = { starts: [], ends: [], bodies: [], lines: [], mixed: [] };
  private readonly candidates = new NameIndex(16);
  private curFile = "";

  // Scan state that survives piece boundaries.
  private chunkStart = -1;
  private chunkFile = "";
  private chunkMixed = false;
  private chunkBody = -1;
  /** What kind of group is being skipped (SK_NONE: none), and the bracket depth inside it. */
  private skip = SK_NONE;
  private skipDepth = 0;
  private readonly frames: number[] = [];
  /** Struct, union and enum bodies among the frames. */
  private dataFrames = 0;
  private last = LAST_NONE;
  /** After struct/union/enum: 1 = keyword seen, 2 = name seen too (its hash in tagHash). */
  private tagState = 0;
  private tagIsEnum = false;
  private tagHash = 0;
  /** An identifier (by hash) waiting for the next significant character to tell whether it may be a declared name. */
  private pending = false;
  private pendingHash = 0;
  private pendingFrame = 0;
  /** A keyword (attribute, asm, typeof...) waiting for its `(`. */
  private pendingKw = KW_NONE;
  /** In an enum body: the next identifier starts an enumerator. */
  private enumItem = false;

  push(piece: string): void {
    const s = this.carry ? this.carry + piece : piece;
    const lastNl = s.lastIndexOf("\n");
    if (lastNl < 0) {
      this.carry = s;
      return;
    }
    this.scan(s, lastNl + 1);
    this.pieces.push(lastNl + 1 === s.length ? s : s.slice(0, lastNl + 1));
    this.base += lastNl + 1;
    this.carry = lastNl + 1 === s.length ? "" : s.slice(lastNl + 1);
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

  private scan(s: string, limit: number): void {
    let i = s.charCodeAt(0) === 35 /* # */ ? this.directive(s, 0, limit) : 0;
    while (i < limit) i = this.skip !== SK_NONE ? this.skipRun(s, i, limit) : this.declRun(s, i, limit);
  }

  private newline(s: string, i: number, limit: number): number {
    this.iLine++;
    this.lineStarts.push(this.base + i + 1);
    // A directive line: continue at its newline (the caller's loop steps onto it next).
    return i + 1 < limit && s.charCodeAt(i + 1) === 35 ? this.directive(s, i + 1, limit) - 1 : i;
  }

  /**
   * Inside a function body, initialiser, attribute...: follows only lines,
   * literals and brackets until the group ends. Returns where to go on.
   */
  private skipRun(s: string, i: number, limit: number): number {
    const kind = this.skip;
    const toComma = kind === SK_INIT || kind === SK_ENUMVAL;
    let depth = this.skipDepth;
    for (; i < limit; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128) continue;
      const k = SKIPCLS[c]!;
      if (k === 0) continue;
      if (k === NL) i = this.newline(s, i, limit);
      else if (k === QUOTE) i = skipLiteral(s, i, limit);
      else if (k === OPEN) depth++;
      else if (k === CLOSE) {
        if (--depth > 0 || (toComma && depth === 0)) continue;
        this.skip = SK_NONE;
        this.skipDepth = 0;
        if (toComma) this.closeFrame(c); // the `}` of the enum body (or a stray close)
        else if (kind === SK_BODY) this.endChunk(this.base + i + 1);
        // An attribute is blank to the grammar: `last` stays what it was.
        else if (kind !== SK_ATTR && this.frames.length === 0) this.last = LAST_OTHER;
        return i + 1;
      } else if (k === SLASH) i = this.comment(s, i, limit);
      else if (toComma && depth === 0 && (k === COMMA || (k === SEMI && kind === SK_INIT))) {
        this.skip = SK_NONE;
        if (kind === SK_ENUMVAL) this.enumItem = true;
        else if (k === SEMI) this.endChunk(this.base + i + 1);
        else this.last = LAST_OTHER;
        return i + 1;
      }
    }
    this.skipDepth = depth;
    return limit;
  }

  /** At declaration level (a chunk's top, its declarator groups, struct and enum bodies). */
  private declRun(s: string, i: number, limit: number): number {
    for (; i < limit; i++) {
      const c = s.charCodeAt(i);
      const k = c < 128 ? CLS[c]! : ORD;
      if (k === SPACE) continue;
      if (k === NL) {
        i = this.newline(s, i, limit);
        continue;
      }
      if (this.chunkStart < 0) this.startChunk(this.base + i);
      if (this.pending) this.resolvePending(c, s, i);
      if (k === IDSTART) {
        i = this.identifier(s, i, limit) - 1;
        continue;
      }
      if (k === DIGIT) {
        let j = i + 1;
        while (j < limit && (isIdChar(s.charCodeAt(j)) || s.charCodeAt(j) === 46)) j++;
        i = j - 1;
        this.other();
        continue;
      }
      if (k === QUOTE) {
        i = skipLiteral(s, i, limit);
        this.other();
        continue;
      }
      if (k === SLASH && (s.charCodeAt(i + 1) === 42 || s.charCodeAt(i + 1) === 47)) {
        i = this.comment(s, i, limit);
        continue;
      }
      if (k === OPEN) {
        if (this.open(c, s, i)) return i + 1;
        continue;
      }
      const frame = this.frames.length ? this.frames[this.frames.length - 1]! : 0;
      this.tagState = 0;
      this.pendingKw = KW_NONE;
      if (k === CLOSE) this.closeFrame(c);
      else if (k === EQ) {
        // `=` at declaration level starts an initialiser or an enumerator's value.
        if (frame === 0 || frame === FR_ENUM) {
          this.skip = frame === 0 ? SK_INIT : SK_ENUMVAL;
          this.skipDepth = 0;
          return i + 1;
        }
      } else if (k === SEMI) {
        if (frame === 0) this.endChunk(this.base + i + 1);
      } else if (k === COMMA) {
        if (frame === FR_ENUM) this.enumItem = true;
        else if (frame === 0) this.last = LAST_OTHER;
      } else if (frame === 0) this.last = LAST_OTHER;
    }
    return limit;
  }

  /** Some token that is neither identifier nor bracket. */
  private other(): void {
    this.tagState = 0;
    this.pendingKw = KW_NONE;
    if (this.frames.length === 0) this.last = LAST_OTHER;
  }

  /** An identifier starting at s[i]; returns the index after it. */
  private identifier(s: string, i: number, limit: number): number {
    let h = Math.imul(FNV_BASIS ^ s.charCodeAt(i), FNV_PRIME);
    let j = i + 1;
    for (; j < limit; j++) {
      const d = s.charCodeAt(j);
      if (!isIdChar(d)) break;
      h = Math.imul(h ^ d, FNV_PRIME);
    }
    h |= 0;
    const frame = this.frames.length ? this.frames[this.frames.length - 1]! : 0;
    const kw = KEYWORDS.has(h) ? keywordOf(h, s, i, j) : KW_NONE;
    this.pendingKw = KW_NONE;
    if (kw === KW_TAG || kw === KW_ENUM) {
      this.tagState = 1;
      this.tagIsEnum = kw === KW_ENUM;
    } else if (kw !== KW_NONE) {
      this.pendingKw = kw; // waits for its `(`; an attribute keeps the tag state
    } else {
      if (this.tagState === 1) {
        this.tagState = 2;
        this.tagHash = h;
      } else this.tagState = 0;
      if (frame === FR_ENUM && this.enumItem) {
        this.addCandidate(h);
        this.enumItem = false;
      } else if (this.dataFrames === 0 || frame === FR_ENUM) {
        this.pending = true;
        this.pendingHash = h;
        this.pendingFrame = frame;
      }
    }
    if (frame === 0) this.last = LAST_OTHER;
    return j;
  }

  /** An opening bracket at declaration level; true when it starts a skipped group. */
  private open(c: number, s: string, i: number): boolean {
    const frame = this.frames.length ? this.frames[this.frames.length - 1]! : 0;
    if (c === 40 /* ( */) {
      const kw = this.pendingKw;
      this.pendingKw = KW_NONE;
      if (kw !== KW_ATTR) this.tagState = 0;
      if (kw === KW_NONE) {
        this.frames.push(FR_PAREN);
        return false;
      }
      return this.enterSkip(kw === KW_ATTR ? SK_ATTR : SK_OTHER);
    }
    this.pendingKw = KW_NONE;
    if (c === 91 /* [ */) {
      this.tagState = 0;
      return this.enterSkip(SK_OTHER);
    }
    // `{`
    if (this.tagState !== 0) {
      if (this.tagState === 2) this.addCandidate(this.tagHash);
      this.pushData(this.tagIsEnum ? FR_ENUM : FR_DATA);
      this.enumItem = this.tagIsEnum;
      this.tagState = 0;
      return false;
    }
    if (frame === 0 && this.last === LAST_RPAREN) {
      this.chunkBody = this.base + i;
      return this.enterSkip(SK_BODY);
    }
    if (s.charCodeAt(prevNonSpace(s, i)) === 40) return this.enterSkip(SK_OTHER); // a statement expression ({ ... })
    this.pushData(FR_DATA);
    return false;
  }

  private enterSkip(kind: number): boolean {
    this.skip = kind;
    this.skipDepth = 1;
    return true;
  }

  private pushData(kind: number): void {
    this.frames.push(kind);
    this.dataFrames++;
  }

  private closeFrame(c: number): void {
    const top = this.frames.pop();
    if (top === FR_DATA || top === FR_ENUM) this.dataFrames--;
    if (this.frames.length === 0) this.last = top === FR_PAREN && c === 41 ? LAST_RPAREN : LAST_OTHER;
    else if (this.frames[this.frames.length - 1] === FR_ENUM) this.enumItem = false;
  }

  /** Decides a pending identifier now that the next significant character s[i] is known. */
  private resolvePending(c: number, s: string, i: number): void {
    this.pending = false;
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
    if (take) this.addCandidate(this.pendingHash);
  }

  private addCandidate(hash: number): void {
    this.candidates.add(hash, this.chunks.starts.length);
  }

  private startChunk(abs: number): void {
    this.chunkStart = abs;
    this.chunkFile = this.curFile;
    this.chunks.lines.push(this.iLine);
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
    this.pending = false;
    this.pendingKw = KW_NONE;
    this.enumItem = false;
  }

  /** A directive line starting at s[i] (a `#` at a line start); returns the index of its newline (or `limit`). */
  private directive(s: string, i: number, limit: number): number {
    let e = s.indexOf("\n", i);
    if (e < 0 || e > limit) e = limit;
    const d1 = s.charCodeAt(i + 1);
    if (d1 === 100 /* d */ && s.startsWith("#define ", i)) {
      let j = i + 8;
      let h = FNV_BASIS;
      for (; j < e; j++) {
        const d = s.charCodeAt(j);
        if (!isWordChar(d)) break;
        h = Math.imul(h ^ d, FNV_PRIME);
      }
      const first = s.charCodeAt(i + 8);
      if (j > i + 8 && !(first >= 48 && first <= 57)) {
        const d = this.defines;
        d.byName.add(h | 0, d.offsets.length);
        d.offsets.push(this.base + i);
        d.ends.push(this.base + e);
        d.nameEnds.push(this.base + j);
        d.lines.push(this.iLine);
      }
    } else if (d1 === 105 /* i */ && s.startsWith("#include", i)) {
      this.includes.push({ offset: this.base + i, iLine: this.iLine });
    } else if (d1 === 32) {
      const m = parseMarker(s, i, e);
      if (m) {
        this.markers.push({ iLine: this.iLine, line: m.line, file: m.file, flags: m.flags });
        this.curFile = m.file;
        if (this.chunkStart >= 0 && m.file !== this.chunkFile) this.chunkMixed = true;
      }
    }
    return e;
  }

  /** Skips a comment starting at s[i] (rare in -E output); returns the index of its last character. */
  private comment(s: string, i: number, limit: number): number {
    const n = s.charCodeAt(i + 1);
    if (n === 47) {
      const e = s.indexOf("\n", i);
      return (e < 0 || e > limit ? limit : e) - 1;
    }
    if (n !== 42) return i;
    for (let j = i + 2; j < limit - 1; j++) {
      const d = s.charCodeAt(j);
      if (d === 10) {
        this.iLine++;
        this.lineStarts.push(this.base + j + 1);
      } else if (d === 42 && s.charCodeAt(j + 1) === 47) return j + 1;
    }
    return limit - 1;
  }
}

/** Scans a whole .i text at once. */
export function scanPreprocessed(text: string): TuScan {
  const s = new PreprocessedScanner();
  s.push(text);
  return s.finish();
}
