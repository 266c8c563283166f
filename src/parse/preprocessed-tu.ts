import type { DeclIndex, MacroIndex, PpDecl, PreprocessedTu, SyntaxNode } from "../model/syntax.js";
import { LineMap } from "./line-markers.js";
import { hashName } from "./name-index.js";
import { normalizePreprocessed } from "./normalize-preprocessed.js";
import { parseRange } from "./parser.js";
import { PreprocessedScanner } from "./scan-preprocessed.js";
import type { ScanSnapshot, TuScan } from "./tu-scan.js";
import { skimChunk, type DeclFact } from "./skim.js";
import { declsOfTopLevel } from "./top-level-decls.js";
import { Macros } from "./macro-index.js";

/**
 * Indexes the output of `gcc -E -dD -dI` for a TU: every file-scope name it
 * declares, with the original file and line each came from, its live macros
 * and its include tree.
 *
 * One linear scan splits the text into top-level chunks and notes, per chunk,
 * the names it may declare; a chunk is read exactly (skim.ts, or tree-sitter
 * when that declines) only when one of its names is looked up, and parsed by
 * tree-sitter only when a declaration's `node` is used. The closure reaches a
 * few dozen of the TU's ~20000 chunks.
 */
export function parsePreprocessed(text: string, options: TuOptions = {}): PreprocessedTu {
  const b = new PreprocessedTuBuilder(options);
  b.push(text);
  return b.finish();
}

export interface TuOptions {
  /** false: read every chunk with tree-sitter, never with skim.ts (the reference the tests compare skim.ts with). */
  skim?: boolean;
}

/** parsePreprocessed() for text that arrives in pieces (e.g. as the preprocessor writes it): scanned as it comes. */
export class PreprocessedTuBuilder {
  private scanner = new PreprocessedScanner();

  /** Wall time spent scanning the pieces so far (ms). */
  scanMs = 0;

  /** The scan finish() indexed (markers, line starts: where a kept headers' part ends). */
  scan: TuScan | undefined;

  constructor(private readonly options: TuOptions = {}) {}

  /** A builder that has already scanned `text`, whose scan `snap` is (kept from an earlier run), and goes on from there. */
  static resume(snap: ScanSnapshot, text: string, options: TuOptions = {}): PreprocessedTuBuilder {
    const b = new PreprocessedTuBuilder(options);
    b.scanner = PreprocessedScanner.resume(snap, text);
    return b;
  }

  push(piece: string): void {
    const t0 = performance.now();
    this.scanner.push(piece);
    this.scanMs += performance.now() - t0;
  }

  finish(): PreprocessedTu {
    this.scan = this.scanner.finish();
    return new LazyTu(this.scan, this.options.skim ?? true);
  }
}

/** The scan of a whole .i text that ends between top-level chunks (a TU's headers' part), to keep; undefined otherwise. */
export function snapshotOf(text: string): ScanSnapshot | undefined {
  const s = new PreprocessedScanner();
  s.push(text);
  return s.snapshot();
}

/** One top-level syntax node of a chunk and what it declares. */
interface Top {
  start: number;
  end: number;
  facts: DeclFact[];
  /** The PpDecl of each fact, made on first use. */
  decls?: PpDecl[];
  /** Known when the chunk was parsed to read its facts. */
  node?: SyntaxNode;
}

class LazyTu implements PreprocessedTu {
  readonly text: string;
  readonly files: Set<string>;
  readonly liveIncludes: Set<string>;
  readonly includeTree: Map<string, Set<string>>;
  readonly decls: DeclIndex;
  readonly macros: MacroIndex;
  readonly stats = { chunks: 0, skimmed: 0, parsed: 0, parseMs: 0 };
  private readonly lines: LineMap;
  private readonly tops: Array<Top[] | undefined> = [];
  private readonly roots: Array<SyntaxNode | undefined> = [];

  constructor(
    private readonly scan: TuScan,
    private readonly skim: boolean,
  ) {
    this.text = scan.text;
    this.lines = new LineMap(scan.lineStarts, scan.markers);
    this.files = new Set(scan.markers.map((m) => m.file));
    this.includeTree = buildIncludeTree(this.lines, scan.includes);
    this.liveIncludes = new Set(this.includeTree.keys());
    this.stats.chunks = scan.chunks.starts.length;
    this.decls = new Decls(this);
    this.macros = new Macros(scan, this.lines);
  }

  origin(offset: number): { file: string; line: number } {
    return this.lines.origin(offset);
  }

  /** The candidates for `name`: chunks that may declare it. */
  chunksFor(name: string): number[] {
    return this.scan.candidates.get(hashName(name));
  }

  get chunkCount(): number {
    return this.scan.chunks.starts.length;
  }

  /**
   * The chunks that start in a file `accept` takes (by the line marker in
   * force where they start), and every chunk that spans other files too (it
   * may declare things in any of them), in .i order. Walks the markers, not
   * the ~20000 chunks: the runs of accepted files are found by binary search.
   */
  chunksIn(accept: (file: string) => boolean): number[] {
    const { lines, mixed } = this.scan.chunks;
    const markers = this.lines.markers;
    const out = new Set<number>();
    // The first chunk starting at or after .i line `line`.
    const firstAt = (line: number) => {
      let lo = 0;
      let hi = lines.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (lines[mid]! < line) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const take = (fromLine: number, toLine: number) => {
      for (let ci = firstAt(fromLine); ci < lines.length && lines[ci]! < toLine; ci++) out.add(ci);
    };
    if (accept("<unknown>")) take(0, markers[0]?.iLine ?? Infinity);
    for (let m = 0; m < markers.length; m++) {
      if (accept(markers[m]!.file)) take(markers[m]!.iLine, markers[m + 1]?.iLine ?? Infinity);
    }
    for (let ci = 0; ci < mixed.length; ci++) if (mixed[ci]) out.add(ci);
    return [...out].sort((x, y) => x - y);
  }

  /** The top-level nodes of chunk ci and what they declare. */
  topsOf(ci: number): Top[] {
    let tops = this.tops[ci];
    if (tops) return tops;
    const c = this.scan.chunks;
    const skimmed = this.skim ? skimChunk(this.text, c.starts[ci]!, c.ends[ci]!, c.bodies[ci]!) : undefined;
    if (skimmed) {
      this.stats.skimmed++;
      tops = [{ start: skimmed.start, end: skimmed.end, facts: skimmed.facts }];
    } else {
      tops = this.rootOf(ci).namedChildren.map((top) => ({ start: top.startIndex, end: top.endIndex, facts: declsOfTopLevel(top), node: top }));
    }
    this.tops[ci] = tops;
    return tops;
  }

  /** The PpDecls of one top-level node, in declaration order. */
  declsOf(ci: number, top: Top): PpDecl[] {
    if (top.decls) return top.decls;
    const o = this.lines.origin(top.start);
    const tu = this.nodeOf.bind(this);
    top.decls = top.facts.map((f) => makeDecl(f, o.file, o.line, top, ci, tu));
    return top.decls;
  }

  /**
   * The tree-sitter node of a top-level declaration of chunk ci (parsed on
   * first use). When tree-sitter cannot make that declaration of the chunk
   * (it falls apart into fragments, as one huge kernel function does), the
   * node is the chunk's root, an ERROR node: users then see every identifier
   * in it, which errs on the side of pulling in too much.
   */
  nodeOf(ci: number, top: Top): SyntaxNode {
    if (top.node) return top.node;
    const root = this.rootOf(ci);
    top.node = root.namedChildren.find((k) => k.startIndex === top.start && k.endIndex === top.end) ?? root;
    return top.node;
  }

  /** Chunk ci parsed by tree-sitter, with offsets (and rows) of the whole .i. */
  rootOf(ci: number): SyntaxNode {
    const hit = this.roots[ci];
    if (hit) return hit;
    const t0 = performance.now();
    const c = this.scan.chunks;
    const start = c.starts[ci]!;
    const end = c.ends[ci]!;
    const root = parseRange(normalizePreprocessed(this.text.slice(start, end)), start, this.position(start), this.position(end));
    this.roots[ci] = root;
    this.stats.parsed++;
    this.stats.parseMs += performance.now() - t0;
    return root;
  }

  private position(offset: number): { row: number; column: number } {
    const row = this.lines.lineOfOffset(offset);
    return { row, column: offset - this.scan.lineStarts[row]! };
  }

  countErrors(): number {
    let n = 0;
    for (let ci = 0; ci < this.chunkCount; ci++) {
      for (const top of this.rootOf(ci).namedChildren) if (top.type === "ERROR" || top.hasError) n++;
    }
    return n;
  }
}

function makeDecl(f: DeclFact, file: string, line: number, top: Top, ci: number, nodeOf: (ci: number, top: Top) => SyntaxNode): PpDecl {
  return {
    name: f.name, namespace: f.namespace, kind: f.kind, storage: f.storage, inline: f.inline,
    file, line, start: top.start, end: top.end, nameStart: f.nameStart,
    get node() {
      return nodeOf(ci, top);
    },
  };
}

/** The declarations of the TU, read chunk by chunk as names are looked up. */
class Decls implements DeclIndex {
  private readonly byName = new Map<string, PpDecl[] | null>();
  /** TU order of each decl (chunk, then position in it): the order a full index lists names in. */
  private readonly order = new WeakMap<PpDecl, number>();

  constructor(private readonly tu: LazyTu) {}

  get(name: string): PpDecl[] | undefined {
    const hit = this.byName.get(name);
    if (hit !== undefined) return hit ?? undefined;
    const out: PpDecl[] = [];
    for (const ci of this.tu.chunksFor(name)) this.collect(ci, (d) => d.name === name, out);
    this.byName.set(name, out.length ? out : null);
    return out.length ? out : undefined;
  }

  inFiles(accept: (file: string) => boolean): Map<string, PpDecl[]> {
    const found: PpDecl[] = [];
    const fileOk = new Map<string, boolean>();
    const ok = (file: string) => {
      let v = fileOk.get(file);
      if (v === undefined) fileOk.set(file, (v = accept(file)));
      return v;
    };
    for (const ci of this.tu.chunksIn(ok)) this.collect(ci, (d) => ok(d.file), found);
    // Grouped by name, names in the order of their first declaration anywhere in the TU.
    const names = new Map<string, PpDecl[]>();
    for (const d of found) {
      const list = names.get(d.name);
      if (list) list.push(d);
      else names.set(d.name, [d]);
    }
    // A name whose lookup is empty (a declaration only a chunk's own walk finds) sorts by its first one here.
    const first = (n: string) => this.order.get(this.get(n)?.[0] ?? names.get(n)![0]!) ?? Number.MAX_SAFE_INTEGER;
    return new Map([...names].sort(([a], [b]) => first(a) - first(b)));
  }

  all(): Map<string, PpDecl[]> {
    const out = new Map<string, PpDecl[]>();
    for (let ci = 0; ci < this.tu.chunkCount; ci++) {
      const found: PpDecl[] = [];
      this.collect(ci, () => true, found);
      for (const d of found) {
        const list = out.get(d.name);
        if (list) list.push(d);
        else out.set(d.name, [d]);
      }
    }
    return out;
  }

  private collect(ci: number, want: (d: PpDecl) => boolean, out: PpDecl[]): void {
    const tops = this.tu.topsOf(ci);
    let k = 0;
    for (const top of tops) {
      const decls = this.tu.declsOf(ci, top);
      for (const d of decls) {
        if (!this.order.has(d)) this.order.set(d, ci * 65536 + k);
        k++;
        if (want(d)) out.push(d);
      }
    }
  }
}

/**
 * For each processed `#include` (by `file:line`), the files it brought in,
 * directly or nested: from gcc -dI directive lines interleaved with the line
 * markers' enter (flag 1) and return (flag 2) events.
 */
function buildIncludeTree(lines: LineMap, includes: Array<{ offset: number; iLine: number }>): Map<string, Set<string>> {
  type Event = { iLine: number; kind: "include"; key: string } | { iLine: number; kind: "enter" | "return"; file: string };
  const events: Event[] = [];
  for (const inc of includes) {
    const o = lines.originOfLine(inc.iLine);
    events.push({ iLine: inc.iLine, kind: "include", key: `${o.file}:${o.line}` });
  }
  for (const m of lines.markers) {
    if (m.flags.includes(1)) events.push({ iLine: m.iLine, kind: "enter", file: m.file });
    else if (m.flags.includes(2)) events.push({ iLine: m.iLine, kind: "return", file: m.file });
  }
  events.sort((a, b) => a.iLine - b.iLine);
  const tree = new Map<string, Set<string>>();
  const stack: Array<{ file: string; owner: string | null }> = [];
  let pending: string | null = null;
  for (const e of events) {
    if (e.kind === "include") {
      pending = e.key;
      tree.set(e.key, tree.get(e.key) ?? new Set());
    } else if (e.kind === "enter") {
      for (const s of stack) if (s.owner) tree.get(s.owner)!.add(e.file);
      if (pending) tree.get(pending)!.add(e.file);
      stack.push({ file: e.file, owner: pending });
      pending = null;
    } else {
      while (stack.length && stack[stack.length - 1]!.file !== e.file) stack.pop();
      pending = null;
    }
  }
  return tree;
}
