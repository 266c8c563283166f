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
    const language = require("tree-sitter-c") as Parser.Language;
    // Given the grammar's node types, setLanguage makes a JavaScript class per type (an eval
    // each, ~5 ms of a run) for per-field getters (node.bodyNode); this code reads fields with
    // childForFieldName and cursors, so the language goes without them.
    Reflect.deleteProperty(language, "nodeTypeInfo");
    parser.setLanguage(language);
  }
  return parser;
}

/** Parses C text into a syntax tree. The parser is created once and reused. */
export function parseC(text: string): SyntaxNode {
  // The default 32 KiB input buffer makes tree-sitter re-read big TUs in slices; one buffer is faster.
  const tree = cParser().parse(text, undefined, { bufferSize: text.length + 1 });
  return tree.rootNode as unknown as SyntaxNode;
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
