import type { OutlineStore, SourceFile, SourceItem } from "../model/syntax.js";
import { normalizeSource } from "./normalize-source.js";
import { parseC } from "./parser.js";
import { attachLeadingComments, topLevelItems } from "./source-items.js";
import { fileFromOutline, outlineOf, rememberParse } from "./source-outline.js";
import { spliceEdited } from "./source-splice.js";

/**
 * Splits an original source file into top-level items (includes, macros,
 * functions, declarations), descending into #if blocks so that every branch's
 * items are listed; which branch was live is decided later from the .i.
 *
 * `outlines`: a file parsed before (same text) is read back from its kept
 * outline, its items' nodes parsed one by one when used. `after`: a version
 * of this file read before (the original, for the patched file); only the
 * part the patch changed is parsed, the rest of the items are taken over.
 * Either way the items are those a whole-file parse gives.
 */
export function parseSourceFile(path: string, text: string, opts: { after?: SourceFile; outlines?: OutlineStore } = {}): SourceFile {
  const spliced = opts.after ? spliceEdited(opts.after, path, text) : undefined;
  if (spliced) return spliced;
  const kept = opts.after ? undefined : opts.outlines?.get(text);
  const read = kept ? fileFromOutline(path, text, kept) : undefined;
  if (read) return read;
  const file = parseWhole(path, text);
  const outline = opts.after ? undefined : outlineOf(file);
  if (outline) opts.outlines?.put(text, outline);
  return file;
}

/** parseSourceFile without outlines: one tree-sitter parse of the whole file (plus error recovery). */
export function parseWhole(path: string, text: string): SourceFile {
  const normalized = normalizeSource(text);
  const roots = [parseC(normalized)];
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
    const headEnd = bad.startLine + (text.slice(bad.start, cut).match(/\n/g) ?? []).length;
    const head: SourceItem = { start: bad.start, end: cut, startLine: bad.startLine, endLine: headEnd, codeStart: bad.start, codeStartLine: bad.startLine, hasError: true, kind: "other" };
    items = [...items.slice(0, at), head, ...topLevelItems(root, text, normalized, cut)];
  }
  attachLeadingComments(items, roots, text);
  const file: SourceFile = { path, text, items };
  rememberParse(file, roots[0]!, roots.length > 1);
  return file;
}

/** Offset just past the first `}` at the start of a line strictly inside the item (not its last line). */
function closingBraceAfter(normalized: string, item: SourceItem): number | undefined {
  const m = /\n\}[^\n]*\n/g;
  m.lastIndex = item.start;
  const hit = m.exec(normalized);
  if (!hit || hit.index + hit[0].length >= item.end) return undefined;
  return hit.index + hit[0].length;
}
