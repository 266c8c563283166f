import type { SourceFile, SourceItem, SyntaxNode } from "../model/syntax.js";
import { LazyNodes, lazyNode, lineStarts, ownNode, plainFields, pointAt, type NodeSpec } from "./lazy-nodes.js";
import { normalizeSource } from "./normalize-source.js";
import { parseRange } from "./parser.js";
import { attachLeadingComments, topLevelItems } from "./source-items.js";
import { noteParse, parseOf, topsOf, type Tops } from "./source-outline.js";

/**
 * `text` (the patched file) as items: the original's items before and after
 * the changed span, and a parse of that span widened to whole top-level nodes
 * (with the comments above them). Undefined when that cannot give what a
 * whole-file parse would: the original needed error recovery, or a parse
 * error in the span ran past what the change reaches (see sameAround).
 */
export function spliceEdited(original: SourceFile, path: string, text: string): SourceFile | undefined {
  const p = parseOf(original);
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
  const pending = new Map<SourceItem, NodeSpec>();
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
  noteParse(file, { tops: newTops, recovered: false, pending });
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

