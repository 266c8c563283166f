import { createRequire } from "node:module";
import type Parser from "tree-sitter";
import type { SyntaxNode } from "../model/syntax.js";

let parser: Parser | undefined;

/**
 * The parser, created once. tree-sitter (a native addon) is loaded on first
 * use rather than at startup: extract starts the preprocessor first.
 */
function cParser(): Parser {
  if (!parser) {
    const require = createRequire(import.meta.url);
    const TreeSitter = require("tree-sitter") as typeof Parser;
    parser = new TreeSitter();
    parser.setLanguage(require("tree-sitter-c") as Parser.Language);
  }
  return parser;
}

/** The tree behind each root parseC returned, for reparseC. */
const trees = new WeakMap<SyntaxNode, { tree: Parser.Tree; text: string }>();

/** Parses C text into a syntax tree. The parser is created once and reused. */
export function parseC(text: string, old?: Parser.Tree): SyntaxNode {
  // The default 32 KiB input buffer makes tree-sitter re-read big TUs in slices; one buffer is faster.
  const tree = cParser().parse(text, old, { bufferSize: text.length + 1 });
  const root = tree.rootNode as unknown as SyntaxNode;
  trees.set(root, { tree, text });
  return root;
}

/**
 * Parses `text`, a variant of the text `previous` (a root from parseC) was
 * parsed from, reusing that parse: a patched file differs from its original
 * in a few lines, and tree-sitter then re-reads only those (the result is the
 * same as a fresh parse). The changed span is taken as one edit, from the
 * common prefix to the common suffix.
 */
export function reparseC(previous: SyntaxNode, text: string): SyntaxNode {
  const prev = trees.get(previous);
  if (!prev) return parseC(text);
  const old = prev.text;
  // tree.edit changes the tree in place, and with it every node of it handed out (the
  // original file's items): edit a copy instead. tree-sitter's node binding has no
  // Tree.copy; reparsing the same text from the tree is one (it shares all subtrees).
  const copy = cParser().parse(old, prev.tree, { bufferSize: old.length + 1 });
  // Offsets and columns are UTF-16 units, as everywhere in the node binding (startIndex
  // indexes the JS string). A bound inside a surrogate pair is harmless: the token holding
  // the pair overlaps the edit either way.
  const max = Math.min(old.length, text.length);
  let start = 0;
  while (start < max && old.charCodeAt(start) === text.charCodeAt(start)) start++;
  let tail = 0;
  while (tail < max - start && old.charCodeAt(old.length - 1 - tail) === text.charCodeAt(text.length - 1 - tail)) tail++;
  copy.edit({
    startIndex: start, oldEndIndex: old.length - tail, newEndIndex: text.length - tail,
    startPosition: pointAt(old, start), oldEndPosition: pointAt(old, old.length - tail), newEndPosition: pointAt(text, text.length - tail),
  });
  return parseC(text, copy);
}

/** Row and column (UTF-16 units) of offset `at`. */
function pointAt(text: string, at: number): Parser.Point {
  let row = 0;
  let lineStart = 0;
  for (let nl = text.indexOf("\n"); nl >= 0 && nl < at; nl = text.indexOf("\n", nl + 1)) {
    row++;
    lineStart = nl + 1;
  }
  return { row, column: at - lineStart };
}

/**
 * Parses `text`, which stands at offset `start` of a bigger text (a chunk of
 * a preprocessed TU), so that every node's offsets and positions are those of
 * the bigger text: tree-sitter reads only that range of it.
 */
export function parseRange(text: string, start: number, startPosition: Parser.Point, endPosition: Parser.Point): SyntaxNode {
  const end = start + text.length;
  const input = (index: number) => (index >= start && index < end ? text.slice(index - start) : "");
  const tree = cParser().parse(input, undefined, {
    bufferSize: text.length + 1,
    includedRanges: [{ startIndex: start, endIndex: end, startPosition, endPosition }],
  });
  return tree.rootNode as unknown as SyntaxNode;
}
