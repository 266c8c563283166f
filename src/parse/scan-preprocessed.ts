import type { LineMarker } from "./line-markers.js";
import { FNV_BASIS, FNV_PRIME, hashName, NameIndex, type NameIndexState } from "./name-index.js";

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

/**
 * The scan of a .i text's first `length` characters, taken between two
 * top-level chunks: PreprocessedScanner.resume() goes on from there with the
 * rest of the text (a TU's headers are scanned once and kept; see
 * kbuild/header-cache.ts). Plain data: scan-snapshot.ts keeps it on disk.
 */
export interface ScanSnapshot {
  length: number;
  lineStarts: number[];
  markers: LineMarker[];
  defines: Omit<Defines, "byName"> & { byName: NameIndexState };
  includes: IncludeLine[];
  chunks: Chunks;
  candidates: NameIndexState;
  /** The file the last line marker named. */
  curFile: string;
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
/** Where the scan of a struct or union body must look: also the keywords that open nested bodies. */
const DATA_STOPS = /[{}"'/]|\n#|\b(?:struct|union|enum)\b/g;

/** Index of the first character at or after i that is neither blank nor part of an attribute (or limit; stops at directive lines). */
function skipSpaceAndAttributes(s: string, i: number, limit: number): number {
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
const BODY_STOPS = /[{}"'/]|\n#/g;
const isWordChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
const isIdChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36;

// Kinds of a group the scan skips (only brackets, literals and lines are followed inside).
const SK_NONE = 0, SK_BODY = 1, SK_INIT = 2, SK_ENUMVAL = 3, SK_ATTR = 4, SK_OTHER = 5;
// Frames the scan looks into: a struct/union body, an enum body, and parenthesised groups: one
// just opened, a declarator group (it starts with `*` or `(`: `(*name)(...)`), a group that
// holds one identifier so far (`(name)`), any other group (parameters...).
const FR_DATA = 2, FR_ENUM = 3, FR_PAREN = 1, FR_PAREN_DECL = 4, FR_PAREN_ONE = 5, FR_PAREN_OTHER = 6;
const isParen = (f: number) => f === FR_PAREN || f >= FR_PAREN_DECL;
// The last significant thing at the chunk's top level (for telling function bodies from others).
const LAST_NONE = 0, LAST_RPAREN = 1, LAST_OTHER = 2;
// Keyword-like identifiers the scan reacts to.
const KW_NONE = 0, KW_TAG = 1, KW_ENUM = 2, KW_ATTR = 3, KW_ASM = 4, KW_SKIPCALL = 5;

/** hash → [word, kind] of the identifiers that change how the scan reads what follows. */
const KEYWORDS = new Map<number, [string, number]>(
  ([
    ["struct", KW_TAG], ["union", KW_TAG], ["enum", KW_ENUM],
    ["__attribute__", KW_ATTR], ["__attribute", KW_ATTR],
    ["asm", KW_ASM], ["__asm__", KW_ASM], ["__asm", KW_ASM],
    ["typeof", KW_SKIPCALL], ["__typeof__", KW_SKIPCALL], ["__typeof", KW_SKIPCALL], ["_Static_assert", KW_SKIPCALL],
  ] as Array<[string, number]>).map(([w, k]) => [hashName(w), [w, k]]),
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
  /** While scanning a string s: the offset in the whole text of s[0]. */
  private sbase = 0;
  /** lineAt()'s cursor: the .i line of the last offset asked for. */
  private iLine = 0;
  private lineStarts: number[] = [0];
  private markers: LineMarker[] = [];
  private defines: Defines = { offsets: [], ends: [], nameEnds: [], lines: [], byName: new NameIndex(15) };
  private includes: IncludeLine[] = [];
  private chunks: Chunks = { starts: [], ends: [], bodies: [], lines: [], mixed: [] };
  private candidates = new NameIndex(16);
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
    const firstNl = piece.indexOf("\n");
    if (firstNl < 0) {
      this.carry += piece;
      return;
    }
    const lastNl = piece.lastIndexOf("\n");
    // The carried partial line and the piece's first line form one small string; the rest of
    // the piece is scanned in place (a concatenation would make a slow cons string of it).
    const head = this.carry + piece.slice(0, firstNl + 1);
    this.scan(head, 0, head.length);
    this.pieces.push(head);
    this.base += head.length;
    if (lastNl > firstNl) {
      this.scan(piece, firstNl + 1, lastNl + 1);
      this.pieces.push(piece.slice(firstNl + 1, lastNl + 1));
      this.base += lastNl - firstNl;
    }
    this.carry = piece.slice(lastNl + 1);
  }

  /**
   * The scan of the complete lines pushed so far (not the partial last one),
   * or undefined unless it stands between top-level chunks (then what comes
   * next cannot depend on what came before, except through the indexes).
   */
  snapshot(): ScanSnapshot | undefined {
    const idle = this.chunkStart < 0 && this.skip === SK_NONE && this.frames.length === 0 && !this.pending && this.pendingKw === KW_NONE && this.tagState === 0 && !this.enumItem && this.last === LAST_NONE;
    if (!idle) return undefined;
    const d = this.defines;
    const c = this.chunks;
    return {
      length: this.base,
      lineStarts: this.lineStarts.slice(),
      markers: this.markers.slice(),
      defines: { offsets: d.offsets.slice(), ends: d.ends.slice(), nameEnds: d.nameEnds.slice(), lines: d.lines.slice(), byName: d.byName.state() },
      includes: this.includes.slice(),
      chunks: { starts: c.starts.slice(), ends: c.ends.slice(), bodies: c.bodies.slice(), lines: c.lines.slice(), mixed: c.mixed.slice() },
      candidates: this.candidates.state(),
      curFile: this.curFile,
    };
  }

  /** A scanner that has scanned `text` (whose scan `snap` is) and goes on from its end. */
  static resume(snap: ScanSnapshot, text: string): PreprocessedScanner {
    if (text.length !== snap.length) throw new Error(`resume: the text has ${text.length} characters, the snapshot ${snap.length}`);
    // The snapshot's arrays are taken over, not copied.
    const s = new PreprocessedScanner();
    s.pieces.push(text);
    s.base = text.length;
    s.lineStarts = snap.lineStarts;
    s.iLine = Math.max(0, s.lineStarts.length - 1);
    s.markers = snap.markers;
    const d = snap.defines;
    s.defines = { offsets: d.offsets, ends: d.ends, nameEnds: d.nameEnds, lines: d.lines, byName: NameIndex.fromState(d.byName) };
    s.includes = snap.includes;
    s.chunks = snap.chunks;
    s.candidates = NameIndex.fromState(snap.candidates);
    s.curFile = snap.curFile;
    return s;
  }

  finish(): TuScan {
    if (this.carry) {
      this.scan(this.carry, 0, this.carry.length);
      this.pieces.push(this.carry);
      this.base += this.carry.length;
      this.carry = "";
    }
    if (this.chunkStart >= 0) this.endChunk(this.base);
    const text = this.pieces.length === 1 ? this.pieces[0]! : this.pieces.join("");
    this.pieces.length = 0;
    return { text, lineStarts: this.lineStarts, markers: this.markers, defines: this.defines, includes: this.includes, chunks: this.chunks, candidates: this.candidates };
  }

  /** Scans s[from, limit) (from: a line start; limit: after a newline or the text's end); this.base is where s[from] is. */
  private scan(s: string, from: number, limit: number): void {
    this.sbase = this.base - from;
    // Line starts first, with the native search: the scan loops then never stop at a newline.
    const lineStarts = this.lineStarts;
    for (let nl = s.indexOf("\n", from); nl >= 0 && nl < limit; nl = s.indexOf("\n", nl + 1)) lineStarts.push(this.sbase + nl + 1);
    let i = s.charCodeAt(from) === 35 /* # */ ? this.directive(s, from, limit) : from;
    while (i < limit) {
      if (this.skip === SK_BODY) i = this.skipBody(s, i, limit);
      else if (this.skip !== SK_NONE) i = this.skipRun(s, i, limit);
      else if (this.frames.length && this.frames[this.frames.length - 1] === FR_DATA && !this.pending) i = this.dataRun(s, i, limit);
      else i = this.declRun(s, i, limit);
    }
  }

  /** 0-based .i line of whole-text offset `abs` (offsets asked for only grow). */
  private lineAt(abs: number): number {
    const ls = this.lineStarts;
    let l = this.iLine;
    while (l + 1 < ls.length && ls[l + 1]! <= abs) l++;
    this.iLine = l;
    return l;
  }

  /** A newline at s[i]: when a directive line follows, handles it; returns the index before its newline (the caller steps onto it next), else i. */
  private newline(s: string, i: number, limit: number): number {
    return i + 1 < limit && s.charCodeAt(i + 1) === 35 ? this.directive(s, i + 1, limit) - 1 : i;
  }

  /**
   * Inside a function body: only braces, literals and directive lines matter,
   * and the native regexp search jumps to them. Returns where to go on.
   */
  private skipBody(s: string, i: number, limit: number): number {
    const re = BODY_STOPS;
    let depth = this.skipDepth;
    re.lastIndex = i;
    for (;;) {
      const m = re.exec(s);
      const j = m ? m.index : limit;
      if (j >= limit) {
        this.skipDepth = depth;
        return limit;
      }
      const c = s.charCodeAt(j);
      if (c === 123) depth++;
      else if (c === 125) {
        if (--depth === 0) {
          this.skip = SK_NONE;
          this.skipDepth = 0;
          this.endChunk(this.sbase + j + 1);
          return j + 1;
        }
      } else if (c === 10) {
        re.lastIndex = this.directive(s, j + 1, limit);
        continue;
      } else if (c === 47) {
        re.lastIndex = this.comment(s, j, limit) + 1;
        continue;
      } else {
        re.lastIndex = skipLiteral(s, j, limit) + 1;
        continue;
      }
      re.lastIndex = j + 1;
    }
  }

  /**
   * Inside a struct or union body: only nested struct/union/enum bodies
   * (their tags and enumerators are file-scope names), braces, literals and
   * directive lines matter; the native regexp search jumps to them. Returns
   * where to go on (the body's end, or a group to skip).
   */
  private dataRun(s: string, i: number, limit: number): number {
    const re = DATA_STOPS;
    re.lastIndex = i;
    this.tagState = 0;
    this.pendingKw = KW_NONE;
    for (;;) {
      const m = re.exec(s);
      const j = m ? m.index : limit;
      if (j >= limit) return limit;
      const c = s.charCodeAt(j);
      if (c === 123 /* { */) {
        if (s.charCodeAt(prevNonSpace(s, j)) === 40) {
          // A statement expression ({ ... }).
          this.skip = SK_OTHER;
          this.skipDepth = 1;
          return j + 1;
        }
        this.pushData(FR_DATA);
      } else if (c === 125 /* } */) {
        this.closeFrame(c);
        if (this.frames[this.frames.length - 1] !== FR_DATA) return j + 1;
      } else if (c === 10) {
        re.lastIndex = this.directive(s, j + 1, limit);
        continue;
      } else if (c === 47) {
        re.lastIndex = this.comment(s, j, limit) + 1;
        continue;
      } else if (c === 34 || c === 39) {
        re.lastIndex = skipLiteral(s, j, limit) + 1;
        continue;
      } else {
        // struct, union or enum: [attributes] [name] [attributes] then `{` opens a nested body.
        const isEnum = c === 101;
        let k = skipSpaceAndAttributes(s, j + m![0].length, limit);
        let nameHash = 0;
        let named = false;
        if (k < limit && CLS[s.charCodeAt(k)] === IDSTART) {
          let h = FNV_BASIS;
          let e = k;
          for (; e < limit && isIdChar(s.charCodeAt(e)); e++) h = Math.imul(h ^ s.charCodeAt(e), FNV_PRIME);
          nameHash = h | 0;
          if (keywordOf(nameHash, s, k, e) === KW_NONE) {
            named = true;
            k = skipSpaceAndAttributes(s, e, limit);
          } else k = e;
        }
        if (k < limit && s.charCodeAt(k) === 123) {
          if (named) this.addCandidate(nameHash);
          this.pushData(isEnum ? FR_ENUM : FR_DATA);
          if (isEnum) {
            this.enumItem = true;
            return k + 1;
          }
          re.lastIndex = k + 1;
        } else re.lastIndex = k > j ? k : j + 1;
        continue;
      }
      re.lastIndex = j + 1;
    }
  }

  /**
   * Inside an initialiser, attribute...: follows only lines, literals and
   * brackets until the group ends. Returns where to go on.
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
        // An attribute is blank to the grammar: `last` stays what it was.
        else if (kind !== SK_ATTR && this.frames.length === 0) this.last = LAST_OTHER;
        return i + 1;
      } else if (k === SLASH) i = this.comment(s, i, limit);
      else if (toComma && depth === 0 && (k === COMMA || (k === SEMI && kind === SK_INIT))) {
        this.skip = SK_NONE;
        if (kind === SK_ENUMVAL) this.enumItem = true;
        else if (k === SEMI) this.endChunk(this.sbase + i + 1);
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
      if (this.chunkStart < 0) this.startChunk(this.sbase + i);
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
      if ((frame === FR_PAREN || frame === FR_PAREN_ONE) && k !== CLOSE) this.frames[this.frames.length - 1] = c === 42 /* * */ && frame === FR_PAREN ? FR_PAREN_DECL : FR_PAREN_OTHER;
      if (k === CLOSE) this.closeFrame(c);
      else if (k === EQ) {
        // `=` at declaration level starts an initialiser or an enumerator's value.
        if (frame === 0 || frame === FR_ENUM) {
          this.skip = frame === 0 ? SK_INIT : SK_ENUMVAL;
          this.skipDepth = 0;
          return i + 1;
        }
      } else if (k === SEMI) {
        if (frame === 0) this.endChunk(this.sbase + i + 1);
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
    const n = this.frames.length;
    if (n === 0) this.last = LAST_OTHER;
    else if (this.frames[n - 1] === FR_PAREN || this.frames[n - 1] === FR_PAREN_ONE) this.frames[n - 1] = FR_PAREN_OTHER;
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
    // In a group: anything but an attribute decides what the group is (see FR_PAREN_*).
    if ((frame === FR_PAREN && kw !== KW_NONE && kw !== KW_ATTR) || frame === FR_PAREN_ONE) this.frames[this.frames.length - 1] = FR_PAREN_OTHER;
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
        if (frame === FR_PAREN) this.frames[this.frames.length - 1] = FR_PAREN_ONE;
        this.pendingFrame = frame === FR_PAREN ? FR_PAREN_ONE : frame === FR_PAREN_ONE ? FR_PAREN_OTHER : frame;
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
        // A group right at the start of a group makes that one a declarator group: ((*name)(...)).
        if (frame === FR_PAREN) this.frames[this.frames.length - 1] = FR_PAREN_DECL;
        else if (frame === FR_PAREN_ONE) this.frames[this.frames.length - 1] = FR_PAREN_OTHER;
        this.frames.push(FR_PAREN);
        return false;
      }
      return this.enterSkip(kw === KW_ATTR ? SK_ATTR : SK_OTHER);
    }
    this.pendingKw = KW_NONE;
    if (c === 91 /* [ */) {
      this.tagState = 0;
      if (frame === FR_PAREN || frame === FR_PAREN_ONE) this.frames[this.frames.length - 1] = FR_PAREN_OTHER;
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
      this.chunkBody = this.sbase + i;
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
    if (this.frames.length === 0) this.last = top !== undefined && isParen(top) && c === 41 ? LAST_RPAREN : LAST_OTHER;
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
    } else if (frame === FR_PAREN_DECL) {
      // Inside a declarator group: `(*name)`, `(*name(...))`, `(*name[..])`.
      take = c === 41 || c === 40 || c === 91 || (c < 128 && CLS[c] === IDSTART && attrOrAsmAt(s, i));
    } else if (frame === FR_PAREN_ONE) {
      take = c === 41; // `(name)`
    }
    if (take) this.addCandidate(this.pendingHash);
  }

  private addCandidate(hash: number): void {
    this.candidates.add(hash, this.chunks.starts.length);
  }

  private startChunk(abs: number): void {
    this.chunkStart = abs;
    this.chunkFile = this.curFile;
    this.chunks.lines.push(this.lineAt(abs));
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
    if (this.frames.length) this.frames.length = 0;
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
    const iLine = this.lineAt(this.sbase + i);
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
        d.offsets.push(this.sbase + i);
        d.ends.push(this.sbase + e);
        d.nameEnds.push(this.sbase + j);
        d.lines.push(iLine);
      }
    } else if (d1 === 105 /* i */ && s.startsWith("#include", i)) {
      this.includes.push({ offset: this.sbase + i, iLine });
    } else if (d1 === 32) {
      const m = parseMarker(s, i, e);
      if (m) {
        this.markers.push({ iLine, line: m.line, file: m.file, flags: m.flags });
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
    const e = s.indexOf("*/", i + 2);
    return e < 0 || e + 2 > limit ? limit - 1 : e + 1;
  }
}

/** Scans a whole .i text at once. */
export function scanPreprocessed(text: string): TuScan {
  const s = new PreprocessedScanner();
  s.push(text);
  return s.finish();
}
