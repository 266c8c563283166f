import type { SourceItem, SyntaxNode } from "../model/syntax.js";
import { normalizeSource } from "./normalize-source.js";
import { parseC, parseRange } from "./parser.js";
import { CONDITIONAL } from "./source-items.js";

/**
 * Items whose syntax node is parsed on first use: each alone (a top-level
 * construct parses the same alone as in its file: tree-sitter-c keeps no
 * typedef table), or from one whole-file parse once many are asked for or one
 * does not come out the same.
 */

/** Items whose nodes are parsed one by one before the whole file is parsed instead. */
const SINGLE_PARSES = 24;

/** The type and end offset an item's node must have (its start is the item's codeStart). */
export interface NodeSpec {
  type: string;
  end: number;
}

/** The item's fields, without running a lazy node's getter. */
export function plainFields(item: SourceItem): SourceItem {
  const out = {} as Record<string, unknown>;
  for (const key of Object.keys(item)) if (key !== "node") out[key] = (item as unknown as Record<string, unknown>)[key];
  return out as unknown as SourceItem;
}

/** The item's node if it has been parsed (a lazy one not yet: undefined). */
export function ownNode(item: SourceItem): SyntaxNode | undefined {
  const d = Object.getOwnPropertyDescriptor(item, "node");
  return d && "value" in d ? (d.value as SyntaxNode | undefined) : undefined;
}

/** Gives `item` a `node` parsed on first read: the node of that type from its codeStart to `end`. */
export function lazyNode(item: SourceItem, nodes: LazyNodes, type: string, end: number, pending: Map<SourceItem, NodeSpec>): void {
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
export class LazyNodes {
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
export function lineStarts(text: string): number[] {
  const out = [0];
  for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", nl + 1)) out.push(nl + 1);
  return out;
}

/** Row and column (UTF-16 units, as tree-sitter's node binding counts) of an offset. */
export function pointAt(lines: number[], at: number): { row: number; column: number } {
  let lo = 0;
  let hi = lines.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lines[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return { row: lo, column: at - lines[lo]! };
}
