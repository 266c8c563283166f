import { FNV_BASIS, FNV_PRIME } from "./name-index.js";
import { ScanIndexes } from "./scan-indexes.js";
import type { ScanSnapshot, TuScan } from "./tu-scan.js";
import { BODY_STOPS, CLOSE, CLS, COMMA, DATA_STOPS, DIGIT, EQ, FR_DATA, FR_ENUM, FR_PAREN, FR_PAREN_DECL, FR_PAREN_ONE, FR_PAREN_OTHER, IDSTART, KEYWORDS, KW_ATTR, KW_ENUM, KW_NONE, KW_TAG, LAST_NONE, LAST_OTHER, LAST_RPAREN, NL, OPEN, ORD, QUOTE, SEMI, SKIPCLS, SK_ATTR, SK_BODY, SK_ENUMVAL, SK_INIT, SK_NONE, SK_OTHER, SLASH, SPACE, attrOrAsmAt, isParen, keywordOf, prevNonSpace, skipSpaceAndAttributes } from "./scan-lexemes.js";
import { isIdChar, skipLiteral } from "./c-lexer.js";

/**
 * Splits gcc's preprocessed output into top-level chunks in one pass, and
 * collects line markers, `-dD` defines and `-dI` includes on the way. Text
 * can be pushed in pieces (while the preprocessor still writes); each piece
 * is scanned up to its last complete line.
 */
export class PreprocessedScanner extends ScanIndexes {
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

  /** A scanner that has scanned `text` (whose scan `snap` is) and goes on from its end. */
  static resume(snap: ScanSnapshot, text: string): PreprocessedScanner {
    const s = new PreprocessedScanner();
    s.restore(snap, text);
    return s;
  }

  protected idle(): boolean {
    return this.skip === SK_NONE && this.frames.length === 0 && !this.pending && this.pendingKw === KW_NONE && this.tagState === 0 && !this.enumItem && this.last === LAST_NONE;
  }

  protected scan(s: string, from: number, limit: number): void {
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

  /** Resets the scan state at the end of a chunk. */
  protected chunkEnded(): void {
    if (this.frames.length) this.frames.length = 0;
    this.dataFrames = 0;
    this.last = LAST_NONE;
    this.tagState = 0;
    this.pending = false;
    this.pendingKw = KW_NONE;
    this.enumItem = false;
  }
}

/** Scans a whole .i text at once. */
export function scanPreprocessed(text: string): TuScan {
  const s = new PreprocessedScanner();
  s.push(text);
  return s.finish();
}
