import type { SourceFile, SourceItem, SyntaxNode } from "../model/syntax.js";
import { declaredIdentifier } from "./declarators.js";
import { normalizeSource } from "./normalize-source.js";
import { parseC, reparseC } from "./parser.js";

const CONDITIONAL = new Set(["preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef"]);

/** The whole-file parse behind each SourceFile (the error-recovery parses are not reused). */
const firstRoots = new WeakMap<SourceFile, SyntaxNode>();

/**
 * Splits an original source file into top-level items (includes, macros,
 * functions, declarations), descending into #if blocks so that every branch's
 * items are listed; which branch was live is decided later from the .i.
 */
export function parseSourceFile(path: string, text: string, opts: { after?: SourceFile } = {}): SourceFile {
  const normalized = normalizeSource(text);
  // `after`: a version of this file parsed before (the original, for the patched file); its
  // parse is reused (incremental parse), only the changed lines are read again.
  const previous = opts.after && firstRoots.get(opts.after);
  const roots = [previous ? reparseC(previous, normalized) : parseC(normalized)];
  let items = topLevelItems(roots[0]!, text, normalized, 0);
  // One construct tree-sitter cannot follow (dev.c's `switch (cmd) { N(UP) N(DOWN) ... }`) can turn
  // the rest of the file into one ERROR node. Parse again after the first line that starts with `}`
  // inside it (the end of that function), so the functions after it are items of their own.
  for (let round = 0; round < 20; round++) {
    const at = items.findIndex((i) => i.kind === "other" && i.hasError && i.endLine - i.startLine > 40 && closingBraceAfter(normalized, i) !== undefined);
    if (at < 0) break;
    const bad = items[at]!;
    const cut = closingBraceAfter(normalized, bad)!;
    const root = parseC(normalized.slice(0, cut).replace(/[^\n]/g, " ") + normalized.slice(cut));
    roots.push(root);
    const head: SourceItem = { start: bad.start, end: cut, startLine: bad.startLine, endLine: bad.startLine + (text.slice(bad.start, cut).match(/\n/g) ?? []).length, hasError: true, kind: "other" };
    items = [...items.slice(0, at), head, ...topLevelItems(root, text, normalized, cut)];
  }
  attachLeadingComments(items, roots, text);
  const file = { path, text, items };
  firstRoots.set(file, roots[0]!);
  return file;
}

/** The items of a parse, descending into #if blocks; only those starting at or after `from`. */
function topLevelItems(root: SyntaxNode, text: string, normalized: string, from: number): SourceItem[] {
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

/** Offset just past the first `}` at the start of a line strictly inside the item (not its last line). */
function closingBraceAfter(normalized: string, item: SourceItem): number | undefined {
  const m = /\n\}[^\n]*\n/g;
  m.lastIndex = item.start;
  const hit = m.exec(normalized);
  if (!hit || hit.index + hit[0].length >= item.end) return undefined;
  return hit.index + hit[0].length;
}

function conditionNode(n: SyntaxNode): SyntaxNode | null {
  return n.childForFieldName("name") ?? n.childForFieldName("condition");
}

/** `normalized` is `text` with annotation macros blanked (same offsets). */
function toItem(n: SyntaxNode, text: string, normalized: string): SourceItem | undefined {
  const base = {
    start: n.startIndex,
    end: trimEnd(text, n.endIndex),
    startLine: n.startPosition.row + 1,
    endLine: n.endPosition.row + 1 - (n.endPosition.column === 0 ? 1 : 0),
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
function attachLeadingComments(items: SourceItem[], roots: SyntaxNode[], text: string): void {
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
