import type { SourceFile, SourceItem, SourceOutline, SyntaxNode } from "../model/syntax.js";
import { normalizeSource } from "./normalize-source.js";
import { parseC, parseRange } from "./parser.js";
import { attachLeadingComments, CONDITIONAL, topLevelItems } from "./source-items.js";

/**
 * Source files without a whole-file parse: read back from a kept outline, or
 * a patched file made from its original's items and a parse of the part the
 * patch changed. Their items' nodes are parsed when first used, each alone
 * (a top-level construct parses the same alone as in its file: tree-sitter-c
 * keeps no typedef table), or from one whole-file parse once many are asked
 * for or one does not come out the same.
 */

/** Made into each outline; an outline of another version is not read (bump it when items change). */
export const OUTLINE_VERSION = 1;

/** Items whose nodes are parsed one by one before the whole file is parsed instead. */
const SINGLE_PARSES = 24;

type Tops = SourceOutline["tops"];

/** What parse/ knows of a SourceFile beyond its fields. */
interface FileParse {
  /** The root of a whole-file parse (parseWhole), when there was one: tops are read from it. */
  root?: SyntaxNode;
  tops?: Tops;
  recovered: boolean;
  /** Nodes not parsed yet: the type and end each item's node must have. */
  pending: Map<SourceItem, { type: string; end: number }>;
}

const parses = new WeakMap<SourceFile, FileParse>();

/** Notes the whole-file parse that made `file` (root: its first parse; recovered: more parses were needed). */
export function rememberParse(file: SourceFile, root: SyntaxNode, recovered: boolean): void {
  parses.set(file, { root, recovered, pending: new Map() });
}

/** What to keep of a file parsed in this run; undefined when its items came from several parses. */
export function outlineOf(file: SourceFile): SourceOutline | undefined {
  const p = parses.get(file);
  if (!p || p.recovered) return undefined;
  const items = file.items.map((item) => {
    const fields = plainFields(item);
    const node = ownNode(item);
    const want = node ? { type: node.type, end: node.endIndex } : p.pending.get(item);
    return want ? { ...fields, nodeType: want.type, nodeEnd: want.end } : fields;
  });
  return { version: OUTLINE_VERSION, items, tops: topsOf(p), recovered: false };
}

/** The file an outline describes, for `text` (the text it was made from); undefined for another version's outline. */
export function fileFromOutline(path: string, text: string, outline: SourceOutline): SourceFile | undefined {
  if (outline.version !== OUTLINE_VERSION || outline.recovered) return undefined;
  const nodes = new LazyNodes(text);
  const pending = new Map<SourceItem, { type: string; end: number }>();
  const items = outline.items.map(({ nodeType, nodeEnd, ...fields }) => {
    const item: SourceItem = { ...fields };
    if (nodeType !== undefined && nodeEnd !== undefined) lazyNode(item, nodes, nodeType, nodeEnd, pending);
    return item;
  });
  const file = { path, text, items };
  parses.set(file, { tops: outline.tops, recovered: false, pending });
  return file;
}

/**
 * `text` (the patched file) as items: the original's items before and after
 * the changed span, and a parse of that span widened to whole top-level nodes
 * (with the comments above them). Undefined when that cannot give what a
 * whole-file parse would: the original needed error recovery, or a parse
 * error in the span ran past what the change reaches (see sameAround).
 */
export function spliceEdited(original: SourceFile, path: string, text: string): SourceFile | undefined {
  const p = parses.get(original);
  if (!p || p.recovered) return undefined;
  const tops = topsOf(p);
  const old = original.text;
  const [from, to] = changedSpan(old, text);
  const [a, b] = widen(old, tops, original.items, from, to);
  const delta = text.length - old.length;
  const normalized = normalizeSource(text);
  const lines = lineStarts(text);
  const root = parseRange(normalized.slice(a, b + delta), a, pointAt(lines, a), pointAt(lines, b + delta));
  if (root.hasError && !sameAround(tops, root, [a, b], [from, to], delta)) return undefined;
  const middle = topLevelItems(root, text, normalized, 0);
  attachLeadingComments(middle, [root], text);
  const lineDelta = lines.length - lineStarts(old).length;
  const nodes = new LazyNodes(text, normalized, lines);
  const pending = new Map<SourceItem, { type: string; end: number }>();
  const carried = (item: SourceItem, by: number, byLines: number): SourceItem => {
    const fields = plainFields(item);
    const moved: SourceItem = {
      ...fields,
      start: item.start + by, end: item.end + by, codeStart: item.codeStart + by,
      startLine: item.startLine + byLines, endLine: item.endLine + byLines, codeStartLine: item.codeStartLine + byLines,
    };
    const node = ownNode(item);
    // Before the span the text is the same: a node already parsed is the node of this text too.
    if (node && by === 0) moved.node = node;
    else {
      const want = node ? { type: node.type, end: node.endIndex } : p.pending.get(item);
      if (want) lazyNode(moved, nodes, want.type, want.end + by, pending);
    }
    return moved;
  };
  const items = [
    ...original.items.filter((i) => i.end <= a).map((i) => carried(i, 0, 0)),
    ...middle,
    ...original.items.filter((i) => i.start >= b).map((i) => carried(i, delta, lineDelta)),
  ];
  const newTops: Tops = [
    ...tops.filter(([, e]) => e <= a),
    ...root.namedChildren.map((n): Tops[number] => [n.startIndex, n.endIndex, n.type === "comment"]),
    ...tops.filter(([s]) => s >= b).map(([s, e, c]): Tops[number] => [s + delta, e + delta, c]),
  ];
  const file = { path, text, items };
  parses.set(file, { tops: newTops, recovered: false, pending });
  return file;
}

/**
 * Kernel C has parse errors tree-sitter recovers from within one top-level
 * node (`SYSCALL_DEFINE1(getsid, ...)` before its body). A parse of the
 * widened span with errors is taken only when each node with an error is one
 * the change does not reach, where it was and as it was in the original, and
 * every such node around the change came out again: a patch that brings an
 * error of its own (a brace too many) is parsed with the whole file, whose
 * error recovery may reach past the span.
 */
function sameAround(tops: Tops, root: SyntaxNode, [a, b]: [number, number], [from, to]: [number, number], delta: number): boolean {
  const kept = new Set<string>();
  for (const [s, e] of tops) {
    if (s < a || e > b) continue;
    if (e <= from) kept.add(`${s}:${e}`);
    else if (s >= to) kept.add(`${s + delta}:${e + delta}`);
  }
  const made = new Set<string>();
  for (const n of root.namedChildren) {
    const key = `${n.startIndex}:${n.endIndex}`;
    if (n.hasError && !kept.has(key)) return false;
    made.add(key);
  }
  return [...kept].every((k) => made.has(k));
}

/** The first differing offset, and the end of the differing part of `old` (common prefix and suffix taken off). */
function changedSpan(old: string, text: string): [number, number] {
  const max = Math.min(old.length, text.length);
  let start = 0;
  while (start < max && old.charCodeAt(start) === text.charCodeAt(start)) start++;
  let tail = 0;
  while (tail < max - start && old.charCodeAt(old.length - 1 - tail) === text.charCodeAt(text.length - 1 - tail)) tail++;
  return [start, old.length - tail];
}

/**
 * Widens the changed span [from, to) of the original to whole top-level
 * nodes: the node before and after it, every node and item it overlaps (an
 * item reaches back over its comment), a comment right above it, the node
 * after a comment it ends with (a comment belongs to the item below it), and
 * the rest of its last line. Items then lie wholly before, inside or after it.
 */
function widen(text: string, tops: Tops, items: SourceItem[], from: number, to: number): [number, number] {
  let a = from;
  let b = to;
  const before = findLast(tops, ([s]) => s < a);
  if (before) a = before[0];
  const after = tops.find(([, e]) => e > b);
  if (after) b = after[1];
  for (;;) {
    let na = a;
    let nb = b;
    let first = -1;
    let last = -1;
    tops.forEach(([s, e], i) => {
      if (s >= b || e <= a) return;
      if (first < 0) first = i;
      last = i;
      na = Math.min(na, s);
      nb = Math.max(nb, e);
    });
    if (first > 0 && tops[first - 1]![2]) na = Math.min(na, tops[first - 1]![0]);
    if (last >= 0 && tops[last]![2] && last + 1 < tops.length) nb = Math.max(nb, tops[last + 1]![1]);
    for (const item of items) {
      if (item.start >= nb || item.end <= na) continue;
      na = Math.min(na, item.start);
      nb = Math.max(nb, item.end);
    }
    // To the end of the line: a `#endif` that ended a block may stand alone after the change,
    // and a preprocessor line is one only with its newline.
    while (nb < text.length && (text[nb] === " " || text[nb] === "\t" || text[nb] === "\r")) nb++;
    if (text[nb] === "\n") nb++;
    if (na === a && nb === b) return [a, b];
    a = na;
    b = nb;
  }
}

function findLast<T>(list: T[], pred: (x: T) => boolean): T | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (pred(list[i]!)) return list[i];
  return undefined;
}

function topsOf(p: FileParse): Tops {
  p.tops ??= (p.root?.namedChildren ?? []).map((n) => [n.startIndex, n.endIndex, n.type === "comment"]);
  return p.tops;
}

/** The item's fields, without running a lazy node's getter. */
function plainFields(item: SourceItem): SourceItem {
  const out = {} as Record<string, unknown>;
  for (const key of Object.keys(item)) if (key !== "node") out[key] = (item as unknown as Record<string, unknown>)[key];
  return out as unknown as SourceItem;
}

/** The item's node if it has been parsed (a lazy one not yet: undefined). */
function ownNode(item: SourceItem): SyntaxNode | undefined {
  const d = Object.getOwnPropertyDescriptor(item, "node");
  return d && "value" in d ? (d.value as SyntaxNode | undefined) : undefined;
}

/** Gives `item` a `node` parsed on first read: the node of that type from its codeStart to `end`. */
function lazyNode(item: SourceItem, nodes: LazyNodes, type: string, end: number, pending: Map<SourceItem, { type: string; end: number }>): void {
  pending.set(item, { type, end });
  Object.defineProperty(item, "node", {
    enumerable: true,
    configurable: true,
    get(): SyntaxNode {
      const node = nodes.node(item.codeStart, end, Math.max(end, item.end), type);
      Object.defineProperty(item, "node", { value: node, enumerable: true, configurable: true, writable: true });
      pending.delete(item);
      return node;
    },
  });
}

/** Parses single top-level nodes of one text on demand, or the whole text once that is cheaper or needed. */
class LazyNodes {
  private whole: SyntaxNode | undefined;
  private singles = 0;

  constructor(
    private readonly text: string,
    private normalized?: string,
    private lines?: number[],
  ) {}

  /** The node of `type` spanning [start, end); `sliceEnd`: where the text that makes it ends (a struct's `;`). */
  node(start: number, end: number, sliceEnd: number, type: string): SyntaxNode {
    const normalized = (this.normalized ??= normalizeSource(this.text));
    if (!this.whole && ++this.singles <= SINGLE_PARSES) {
      const lines = (this.lines ??= lineStarts(this.text));
      const root = parseRange(normalized.slice(start, sliceEnd), start, pointAt(lines, start), pointAt(lines, sliceEnd));
      const hit = root.namedChildren.find((n) => n.startIndex === start && n.endIndex === end && n.type === type);
      if (hit) return hit;
    }
    this.whole ??= parseC(normalized);
    const found = findNode(this.whole, start, end, type);
    if (!found) throw new Error(`invariant: no ${type} node at ${start}-${end} in a whole parse of the text its item was read from`);
    return found;
  }
}

/** The node of `type` at [start, end) among the root's top-level nodes and those inside #if blocks. */
function findNode(parent: SyntaxNode, start: number, end: number, type: string): SyntaxNode | undefined {
  for (const n of parent.namedChildren) {
    if (n.endIndex < end || n.startIndex > start) continue;
    if (n.startIndex === start && n.endIndex === end && n.type === type) return n;
    if (CONDITIONAL.has(n.type)) {
      const inner = findNode(n, start, end, type);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** Offsets at which the text's lines start. */
function lineStarts(text: string): number[] {
  const out = [0];
  for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", nl + 1)) out.push(nl + 1);
  return out;
}

/** Row and column (UTF-16 units, as tree-sitter's node binding counts) of an offset. */
function pointAt(lines: number[], at: number): { row: number; column: number } {
  let lo = 0;
  let hi = lines.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lines[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return { row: lo, column: at - lines[lo]! };
}
