import type { IpaNode, IpaRecord } from "../model/input.js";

/** One node of a symbol's clone/inline tree, as gcc's dump describes it. */
export interface IpaTreeNode {
  name: string;
  order: number;
  file: string;
  line: number;
  /** How this node relates to its parent: "inlined into", "constprop", "isra", "part", ... */
  via: string;
  /** True when the dump has a removal record for this (name, order). */
  removed: boolean;
  children: IpaTreeNode[];
}

/**
 * The tree of where a function's code went: its clones and the functions it
 * was inlined into, recursively, nodes identified by (name, order) as gcc
 * does (a name alone is ambiguous: clones are created and removed again).
 * `affected` lists the base functions whose code contains the symbol's code.
 */
export function ipaTree(records: IpaRecord[], symbol: string): { roots: IpaTreeNode[]; affected: string[] } {
  const removed = new Set(records.filter((r) => r.kind === "removal").map((r) => key(r.node)));
  const clones = records.filter((r): r is Extract<IpaRecord, { kind: "clone" }> => r.kind === "clone");
  const seen = new Set<string>();
  const build = (node: IpaNode, via: string): IpaTreeNode => {
    seen.add(key(node));
    const children: IpaTreeNode[] = [];
    const done = new Set<string>();
    for (const r of clones) {
      if (key(r.original) !== key(node)) continue;
      const k = `${key(r.clone)}|${r.reason}`;
      if (done.has(k) || seen.has(key(r.clone))) continue;
      done.add(k);
      children.push(build(r.clone, r.reason === "inlining to" ? "inlined into" : r.reason));
    }
    return { name: node.name, order: node.order, file: node.file, line: node.line, via, removed: removed.has(key(node)), children };
  };
  const rootNodes = new Map<string, IpaNode>();
  for (const r of clones) if (r.original.name === symbol) rootNodes.set(key(r.original), r.original);
  for (const r of records) if (r.kind === "removal" && r.node.name === symbol) rootNodes.set(key(r.node), r.node);
  const roots = [...rootNodes.values()].sort((a, b) => a.order - b.order).map((n) => build(n, "symbol"));
  const affected = new Set<string>();
  const walk = (n: IpaTreeNode) => {
    if (n.via !== "symbol" && !n.removed) affected.add(n.name);
    n.children.forEach(walk);
  };
  roots.forEach(walk);
  return { roots, affected: [...affected].sort() };
}

function key(n: IpaNode): string {
  return `${n.name}/${n.order}`;
}
