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
      if (!item) continue;
      const prev = items[items.length - 1];
      if (item.kind === "function" && prev && isLeadingWords(prev, item, text)) {
        // `static noinline_for_stack struct nfs4_file *f(...)`: an annotation macro tree-sitter does
        // not know leaves the words before it unparsed (an ERROR, a broken declaration); they are the function's own.
        items.pop();
        item.start = prev.start;
        item.startLine = prev.startLine;
      }
      items.push(item);
      // A #define inside a struct body (state.h's `#define NFSD4_CB_UP 0` among nfs4_client's
      // members) is a macro of the file too: listed after its struct, which may not be copied.
      if (item.kind === "declaration") for (const m of nestedMacros(n)) items.push(toItem(m, text, normalized)!);
      // One defined in a function body and not #undef'd there is in force for the functions after it
      // (e1000_ethtool.c's E1000_REGS_LEN, defined in e1000_get_regs_len, used by e1000_get_regs).
      if (item.kind === "function") for (const m of bodyMacros(n, text)) items.push(toItem(m, text, normalized)!);
    }
  };
  visit(root);
  return items;
}

/** #define nodes inside a declaration (its struct bodies, their #if blocks), in file order. */
function nestedMacros(n: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const walk = (x: SyntaxNode) => {
    for (const c of x.namedChildren) {
      if (c.type === "preproc_def" || c.type === "preproc_function_def") out.push(c);
      else if (c.type !== "compound_statement" && c.namedChildren.length > 0) walk(c);
    }
  };
  walk(n);
  return out;
}

/** #define nodes in a function's body that the body does not #undef again, in file order. */
function bodyMacros(fn: SyntaxNode, text: string): SyntaxNode[] {
  const body = text.slice(fn.startIndex, fn.endIndex);
  if (!/^[ \t]*#[ \t]*define\b/m.test(body)) return [];
  const out: SyntaxNode[] = [];
  const walk = (x: SyntaxNode) => {
    for (const c of x.namedChildren) {
      if (c.type === "preproc_def" || c.type === "preproc_function_def") out.push(c);
      else if (c.namedChildren.length > 0) walk(c);
    }
  };
  walk(fn);
  return out.filter((m) => {
    const name = m.childForFieldName("name")?.text ?? "";
    const undef = new RegExp(`^[ \\t]*#[ \\t]*undef[ \\t]+${name}\\b`, "m");
    return name !== "" && !undef.test(text.slice(m.endIndex, fn.endIndex));
  });
}

/** True when `prev` is an unparsed run of words (specifiers, a macro name) right before `item`. */
function isLeadingWords(prev: SourceItem, item: SourceItem, text: string): boolean {
  return (prev.kind === "other" || prev.kind === "declaration") && prev.hasError && /^[A-Za-z_][\w\s*]*$/.test(text.slice(prev.start, prev.end)) && /^\s*$/.test(text.slice(prev.end, item.start));
}

function conditionNode(n: SyntaxNode): SyntaxNode | null {
  return n.childForFieldName("name") ?? n.childForFieldName("condition");
}

/** `normalized` is `text` with annotation macros blanked (same offsets). */
function toItem(n: SyntaxNode, text: string, normalized: string): SourceItem | undefined {
  const start = n.type === "preproc_include" || n.type === "comment" ? n.startIndex : withLeadingAnnotations(n.startIndex, text, normalized);
  const startLine = n.startPosition.row + 1 - (text.slice(start, n.startIndex).match(/\n/g) ?? []).length;
  const base = {
    start,
    end: trimEnd(text, n.endIndex),
    startLine,
    endLine: n.endPosition.row + 1 - (n.endPosition.column === 0 ? 1 : 0),
    codeStart: n.startIndex,
    codeStartLine: n.startPosition.row + 1,
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
    case "preproc_function_def": {
      // tree-sitter ends the definition at a comment inside it (`... && /* why */ \`): the
      // directive really ends where its backslash-continued lines do.
      const end = Math.max(base.end, directiveEnd(text, n.startIndex));
      const endLine = base.endLine + (text.slice(base.end, end).match(/\n/g) ?? []).length;
      return { ...base, end, endLine, kind: "macro", name: n.childForFieldName("name")?.text ?? "" };
    }
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
      return { ...base, end: semicolonAfter(normalized, base.end) ?? base.end, kind: "declaration", node: n };
    }
    default:
      return { ...base, kind: "other", node: n };
  }
}

/**
 * Where an item really starts: `notrace static int f(...)` or `__printf(1, 2) int log(...)`
 * are blanked before parsing (normalize-source.ts), so the node starts after them, but the
 * copy must keep them. Goes back over the blanked text up to the previous code.
 */
function withLeadingAnnotations(nodeStart: number, text: string, normalized: string): number {
  let i = nodeStart;
  while (i > 0 && /\s/.test(normalized[i - 1]!)) i--;
  while (i < nodeStart && /\s/.test(text[i]!)) i++;
  return i;
}

/**
 * The end of the `;` that closes a file-scope struct/union/enum definition, which may follow
 * after whole #if blocks (`}` `#ifdef X` `__attribute__((packed))` `#endif` `;`, the attribute
 * blanked): the copy must take them along, balanced. Undefined when no `;` follows that way.
 */
function semicolonAfter(normalized: string, from: number): number | undefined {
  let depth = 0;
  let i = from;
  for (;;) {
    while (i < normalized.length && /\s/.test(normalized[i]!)) i++;
    if (normalized[i] === ";") return depth === 0 ? i + 1 : undefined;
    if (normalized[i] !== "#") return undefined;
    const line = /^#\s*(\w*)(?:[^\n\\]|\\[^])*/.exec(normalized.slice(i, i + 4096));
    const word = line?.[1] ?? "";
    if (word === "if" || word === "ifdef" || word === "ifndef") depth++;
    else if (word === "endif") depth--;
    else if (!(word === "else" || word === "elif") || depth === 0) return undefined;
    if (depth < 0) return undefined;
    i += line![0].length;
  }
}

/** End of the (backslash-continued) line that starts at or before `from`, newline excluded. */
function directiveEnd(text: string, from: number): number {
  let i = from;
  for (;;) {
    const nl = text.indexOf("\n", i);
    if (nl < 0) return text.length;
    const line = text.slice(i, nl).replace(/\r$/, "");
    if (!line.endsWith("\\")) return nl - (text[nl - 1] === "\r" ? 1 : 0);
    i = nl + 1;
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
