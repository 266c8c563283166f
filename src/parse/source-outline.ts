import type { SourceFile, SourceItem, SourceOutline, SyntaxNode } from "../model/syntax.js";
import { LazyNodes, lazyNode, ownNode, plainFields, type NodeSpec } from "./lazy-nodes.js";

/**
 * What parse/ knows of each SourceFile beyond its fields, and outlines: a
 * file's items kept without their nodes, read back with nodes parsed on
 * first use (lazy-nodes.ts).
 */

/** Made into each outline; an outline of another version is not read (bump it when items change). */
export const OUTLINE_VERSION = 6;

export type Tops = SourceOutline["tops"];

/** What parse/ knows of a SourceFile beyond its fields. */
export interface FileParse {
  /** The root of a whole-file parse (parseWhole), when there was one: tops are read from it. */
  root?: SyntaxNode;
  tops?: Tops;
  recovered: boolean;
  /** Nodes not parsed yet: the type and end each item's node must have. */
  pending: Map<SourceItem, NodeSpec>;
}

const parses = new WeakMap<SourceFile, FileParse>();

/** What parse/ knows of a file it made (undefined: not made here). */
export function parseOf(file: SourceFile): FileParse | undefined {
  return parses.get(file);
}

/** Notes what a file was made from (a splice: its original's tops and the span's parse). */
export function noteParse(file: SourceFile, p: FileParse): void {
  parses.set(file, p);
}

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
  const pending = new Map<SourceItem, NodeSpec>();
  const items = outline.items.map(({ nodeType, nodeEnd, ...fields }) => {
    const item: SourceItem = { ...fields };
    if (nodeType !== undefined && nodeEnd !== undefined) lazyNode(item, nodes, nodeType, nodeEnd, pending);
    return item;
  });
  const file = { path, text, items };
  parses.set(file, { tops: outline.tops, recovered: false, pending });
  return file;
}

/** The file's top-level node spans (read from its whole parse the first time). */
export function topsOf(p: FileParse): Tops {
  p.tops ??= (p.root?.namedChildren ?? []).map((n) => [n.startIndex, n.endIndex, n.type === "comment"]);
  return p.tops;
}

