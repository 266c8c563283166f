import { FNV_BASIS, FNV_PRIME, NameIndex } from "./name-index.js";
import type { LineMarker } from "./line-markers.js";
import { commentEnd } from "./c-lexer.js";
import { isWordChar, parseMarker } from "./scan-lexemes.js";
import type { Chunks, Defines, IncludeLine, ScanSnapshot, TuScan } from "./tu-scan.js";

/**
 * What a scan of gcc's preprocessed output records (line starts, line
 * markers, `-dD` defines, `-dI` includes, top-level chunks) and the feeding
 * of its text in pieces; PreprocessedScanner finds the chunks.
 */
export abstract class ScanIndexes {
  private readonly pieces: string[] = [];
  private carry = "";
  /** Offset of the first character of `carry` in the whole text. */
  protected base = 0;
  /** While scanning a string s: the offset in the whole text of s[0]. */
  protected sbase = 0;
  /** lineAt()'s cursor: the .i line of the last offset asked for. */
  private iLine = 0;
  protected lineStarts: number[] = [0];
  private markers: LineMarker[] = [];
  private defines: Defines = { offsets: [], ends: [], nameEnds: [], lines: [], byName: new NameIndex(15) };
  private includes: IncludeLine[] = [];
  private chunks: Chunks = { starts: [], ends: [], bodies: [], lines: [], mixed: [] };
  private candidates = new NameIndex(16);
  private curFile = "";

  // The chunk being read.
  protected chunkStart = -1;
  private chunkFile = "";
  private chunkMixed = false;
  protected chunkBody = -1;

  /** Scans s[from, limit) (from: a line start; limit: after a newline or the text's end); this.base is where s[from] is. */
  protected abstract scan(s: string, from: number, limit: number): void;

  /** True when the scan stands between top-level chunks (only the indexes matter for what comes next). */
  protected abstract idle(): boolean;

  /** Resets the scan state at the end of a chunk. */
  protected abstract chunkEnded(): void;

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
    if (this.chunkStart >= 0 || !this.idle()) return undefined;
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

  /** Takes over the scan `snap` of `text` (a new scanner goes on from its end). */
  protected restore(snap: ScanSnapshot, text: string): void {
    if (text.length !== snap.length) throw new Error(`resume: the text has ${text.length} characters, the snapshot ${snap.length}`);
    // The snapshot's arrays are taken over, not copied.
    this.pieces.push(text);
    this.base = text.length;
    this.lineStarts = snap.lineStarts;
    this.iLine = Math.max(0, this.lineStarts.length - 1);
    this.markers = snap.markers;
    const d = snap.defines;
    this.defines = { offsets: d.offsets, ends: d.ends, nameEnds: d.nameEnds, lines: d.lines, byName: NameIndex.fromState(d.byName) };
    this.includes = snap.includes;
    this.chunks = snap.chunks;
    this.candidates = NameIndex.fromState(snap.candidates);
    this.curFile = snap.curFile;
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

  /** 0-based .i line of whole-text offset `abs` (offsets asked for only grow). */
  private lineAt(abs: number): number {
    const ls = this.lineStarts;
    let l = this.iLine;
    while (l + 1 < ls.length && ls[l + 1]! <= abs) l++;
    this.iLine = l;
    return l;
  }

  /** A newline at s[i]: when a directive line follows, handles it; returns the index before its newline (the caller steps onto it next), else i. */
  protected newline(s: string, i: number, limit: number): number {
    return i + 1 < limit && s.charCodeAt(i + 1) === 35 ? this.directive(s, i + 1, limit) - 1 : i;
  }

  protected addCandidate(hash: number): void {
    this.candidates.add(hash, this.chunks.starts.length);
  }

  protected startChunk(abs: number): void {
    this.chunkStart = abs;
    this.chunkFile = this.curFile;
    this.chunks.lines.push(this.lineAt(abs));
  }

  protected endChunk(end: number): void {
    const c = this.chunks;
    c.starts.push(this.chunkStart);
    c.ends.push(end);
    c.bodies.push(this.chunkBody);
    c.mixed.push(this.chunkMixed);
    this.chunkStart = -1;
    this.chunkBody = -1;
    this.chunkMixed = false;
    this.chunkEnded();
  }

  /** A directive line starting at s[i] (a `#` at a line start); returns the index of its newline (or `limit`). */
  protected directive(s: string, i: number, limit: number): number {
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

  /** Skips a comment starting at s[i] (rare in -E output); returns the index of its last character (i when none starts there). */
  protected comment(s: string, i: number, limit: number): number {
    const e = commentEnd(s, i, limit);
    return e === i ? i : e - 1;
  }
}
