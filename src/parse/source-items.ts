import type { SourceItem, SyntaxNode } from "../model/syntax.js";
import { declaredIdentifier } from "./declarators.js";

/** #if-family nodes: their items are listed as the file's own (every branch). */
export const CONDITIONAL = new Set(["preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef"]);

/** The items of a parse, descending into #if blocks; only those starting at or after `from`. */
export function topLevelItems(root: SyntaxNode, text: string, normalized: string, from: number): SourceItem[] {
  const items: SourceItem[] = [];
  const visit = (parent: SyntaxNode) => {
    const cond = CONDITIONAL.has(parent.type) ? conditionNode(parent) : null;
    for (const n of parent.namedChildren) {
      if (cond && n.startIndex === cond.startIndex && n.endIndex === cond.endIndex) continue;
      if (n.endIndex <= from) continue;
      if (CONDITIONAL.has(n.type)) {
        visit(n);
        continue;
      }
      if (n.startIndex < from) continue;
      const item = toItem(n, text, normalized);
      if (item) items.push(item);
    }
  };
  visit(root);
  return items;
}

function conditionNode(n: SyntaxNode): SyntaxNode | null {
  return n.childForFieldName("name") ?? n.childForFieldName("condition");
}

/** `normalized` is `text` with annotation macros blanked (same offsets). */
function toItem(n: SyntaxNode, text: string, normalized: string): SourceItem | undefined {
  const startLine = n.startPosition.row + 1;
  const base = {
    start: n.startIndex,
    end: trimEnd(text, n.endIndex),
    startLine,
    endLine: n.endPosition.row + 1 - (n.endPosition.column === 0 ? 1 : 0),
    codeStart: n.startIndex,
    codeStartLine: startLine,
    hasError: n.hasError || n.type === "ERROR",
  };
  switch (n.type) {
    case "comment":
      return undefined;
    case "preproc_include": {
      const p = n.childForFieldName("path");
      const raw = p?.text ?? "";
      return { ...base, kind: "include", includePath: raw.replace(/^[<"]|[>"]$/g, ""), includeQuoted: raw.startsWith('"') };
    }
    case "preproc_def":
    case "preproc_function_def":
      return { ...base, kind: "macro", name: n.childForFieldName("name")?.text ?? "" };
    case "function_definition": {
      const name = declaredIdentifier(n.childForFieldName("declarator"))?.text;
      return { ...base, kind: "function", node: n, ...(name ? { name } : {}) };
    }
    case "declaration":
    case "type_definition":
      return { ...base, kind: "declaration", node: n };
    case "struct_specifier":
    case "union_specifier":
    case "enum_specifier": {
      // `struct x {...};` at file scope: the grammar leaves the `;` outside the node. Looked for
      // in the normalized text: `} __randomize_layout;` puts an annotation before it.
      const semi = /^\s*;/.exec(normalized.slice(base.end));
      return { ...base, end: semi ? base.end + semi[0].length : base.end, kind: "declaration", node: n };
    }
    default:
      return { ...base, kind: "other", node: n };
  }
}

/** Drops a trailing newline tree-sitter includes in preprocessor nodes. */
function trimEnd(text: string, end: number): number {
  let e = end;
  while (e > 0 && (text[e - 1] === "\n" || text[e - 1] === "\r")) e--;
  return e;
}

/**
 * A comment block directly above an item (no blank line between) belongs to
 * it: the kernel's kernel-doc comments should travel with the function.
 */
export function attachLeadingComments(items: SourceItem[], roots: SyntaxNode[], text: string): void {
  // A later parse (error recovery) covers the text after its cut; the first covers the rest.
  const all = roots.flatMap((r) => collectComments(r));
  const seen = new Set<number>();
  const comments = all.filter((c) => !seen.has(c.startIndex) && (seen.add(c.startIndex), true)).sort((a, b) => a.startIndex - b.startIndex);
  // Node offsets read once (each read crosses into tree-sitter); comments do not overlap.
  const starts = comments.map((c) => c.startIndex);
  const ends = comments.map((c) => c.endIndex);
  for (const item of items) {
    if (item.kind === "include") continue;
    let start = item.start;
    // The last comment that ends before the item, then back over the ones right above each other.
    let lo = 0;
    let hi = ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid]! <= start) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0; i--) {
      if (ends[i]! > start) continue;
      const gap = text.slice(ends[i], start);
      if (!/^[ \t]*\n?[ \t]*$/.test(gap)) break;
      start = starts[i]!;
    }
    if (start !== item.start) {
      item.startLine -= (text.slice(start, item.start).match(/\n/g) ?? []).length;
      item.start = start;
      // An item without a node (a macro) is all code, comment included.
      if (!item.node) {
        item.codeStart = start;
        item.codeStartLine = item.startLine;
      }
    }
  }
}

function collectComments(root: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const visit = (n: SyntaxNode) => {
    for (const c of n.namedChildren) {
      if (c.type === "comment") out.push(c);
      else if (CONDITIONAL.has(c.type)) visit(c);
    }
  };
  visit(root);
  return out.sort((a, b) => a.startIndex - b.startIndex);
}
