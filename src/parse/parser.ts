import Parser from "tree-sitter";
import C from "tree-sitter-c";
import type { SyntaxNode } from "../model/syntax.js";

let parser: Parser | undefined;

/** Parses C text into a syntax tree. The parser is created once and reused. */
export function parseC(text: string): SyntaxNode {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(C as unknown as Parser.Language);
  }
  // The default 32 KiB input buffer makes tree-sitter re-read big TUs in slices; one buffer is faster.
  const tree = parser.parse(text, undefined, { bufferSize: text.length + 1 });
  return tree.rootNode as unknown as SyntaxNode;
}
