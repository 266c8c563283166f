import type { NameSpace, PpDecl, PpDeclKind, PpMacro, PreprocessedTu, SyntaxNode } from "../model/syntax.js";
import { declaratorsOf, declaredIdentifier, declaresFunction, storageWords } from "./declarators.js";
import { LineMap } from "./line-markers.js";
import { normalizePreprocessed } from "./normalize-preprocessed.js";
import { parseC } from "./parser.js";

/**
 * Parses the output of `gcc -E -dD` for a TU and indexes every file-scope
 * name it declares, with the original file and line each came from.
 */
export function parsePreprocessed(text: string): PreprocessedTu {
  const { text: normalized, defines, includes } = normalizePreprocessed(text);
  const lines = new LineMap(text);
  const root = parseC(normalized);
  const decls = new Map<string, PpDecl[]>();
  let errorCount = 0;
  const add = (d: Omit<PpDecl, "file" | "line" | "start" | "end" | "node">, top: SyntaxNode) => {
    const o = lines.origin(top.startIndex);
    const list = decls.get(d.name) ?? [];
    list.push({ ...d, file: o.file, line: o.line, start: top.startIndex, end: top.endIndex, node: top });
    decls.set(d.name, list);
  };
  for (const top of root.namedChildren) {
    if (top.type === "ERROR" || top.hasError) errorCount++;
    for (const d of declsOfTopLevel(top)) add(d, top);
  }
  const macros = new Map<string, PpMacro[]>();
  for (const d of defines) {
    const o = lines.origin(d.offset);
    const list = macros.get(d.name) ?? [];
    list.push({ name: d.name, file: o.file, line: o.line, definition: d.text });
    macros.set(d.name, list);
  }
  const files = new Set<string>();
  for (const m of lines.markers) files.add(m.file);
  const includeTree = buildIncludeTree(lines, includes);
  return { text, decls, macros, files, liveIncludes: new Set(includeTree.keys()), includeTree, errorCount };
}

type DeclFacts = Omit<PpDecl, "file" | "line" | "start" | "end" | "node">;

function declsOfTopLevel(top: SyntaxNode): DeclFacts[] {
  const out: DeclFacts[] = [];
  const storage = storageWords(top);
  const st: DeclFacts["storage"] = storage.has("static") ? "static" : storage.has("extern") ? "extern" : "none";
  const inline = storage.has("inline");
  const typeNode = top.childForFieldName("type");
  if (typeNode) out.push(...tagsIn(typeNode));
  switch (top.type) {
    case "function_definition": {
      const id = declaredIdentifier(top.childForFieldName("declarator"));
      if (id) out.push({ name: id.text, namespace: "ordinary", kind: "function", storage: st, inline, nameStart: id.startIndex });
      break;
    }
    case "declaration":
      for (const d of declaratorsOf(top)) {
        const id = declaredIdentifier(d);
        if (!id) continue;
        const kind: PpDeclKind = declaresFunction(d) ? "prototype" : st === "extern" ? "extern-variable" : "variable";
        out.push({ name: id.text, namespace: "ordinary", kind, storage: st, inline, nameStart: id.startIndex });
      }
      break;
    case "type_definition":
      for (const d of declaratorsOf(top)) {
        const id = declaredIdentifier(d);
        if (id) out.push({ name: id.text, namespace: "ordinary", kind: "typedef", storage: "none", inline: false, nameStart: id.startIndex });
      }
      break;
    case "struct_specifier":
    case "union_specifier":
    case "enum_specifier":
      out.push(...tagsIn(top));
      break;
  }
  return out;
}

/** struct/union/enum definitions (with a body) inside a type, and their enumerators. */
function tagsIn(node: SyntaxNode): DeclFacts[] {
  const out: DeclFacts[] = [];
  const visit = (n: SyntaxNode) => {
    if (n.type === "compound_statement") return;
    const isTag = n.type === "struct_specifier" || n.type === "union_specifier" || n.type === "enum_specifier";
    const body = isTag ? n.childForFieldName("body") : null;
    if (isTag && body) {
      const name = n.childForFieldName("name");
      const ns: NameSpace = "tag";
      if (name) out.push({ name: name.text, namespace: ns, kind: "tag", storage: "none", inline: false, nameStart: name.startIndex });
      if (n.type === "enum_specifier") {
        for (const e of body.namedChildren) {
          const en = e.type === "enumerator" ? e.childForFieldName("name") : null;
          if (en) out.push({ name: en.text, namespace: "ordinary", kind: "enumerator", storage: "none", inline: false, nameStart: en.startIndex });
        }
      }
    }
    for (const c of n.namedChildren) visit(c);
  };
  visit(node);
  return out;
}

/**
 * For each processed `#include` (by `file:line`), the files it brought in,
 * directly or nested: from gcc -dI directive lines interleaved with the line
 * markers' enter (flag 1) and return (flag 2) events.
 */
function buildIncludeTree(lines: LineMap, includeOffsets: number[]): Map<string, Set<string>> {
  type Event = { iLine: number; kind: "include"; key: string } | { iLine: number; kind: "enter" | "return"; file: string };
  const events: Event[] = [];
  for (const offset of includeOffsets) {
    const o = lines.origin(offset);
    events.push({ iLine: lines.lineOfOffset(offset), kind: "include", key: `${o.file}:${o.line}` });
  }
  for (const m of lines.markers) {
    if (m.flags.includes(1)) events.push({ iLine: m.iLine, kind: "enter", file: m.file });
    else if (m.flags.includes(2)) events.push({ iLine: m.iLine, kind: "return", file: m.file });
  }
  events.sort((a, b) => a.iLine - b.iLine);
  const tree = new Map<string, Set<string>>();
  const stack: Array<{ file: string; owner: string | null }> = [];
  let pending: string | null = null;
  for (const e of events) {
    if (e.kind === "include") {
      pending = e.key;
      tree.set(e.key, tree.get(e.key) ?? new Set());
    } else if (e.kind === "enter") {
      for (const s of stack) if (s.owner) tree.get(s.owner)!.add(e.file);
      if (pending) tree.get(pending)!.add(e.file);
      stack.push({ file: e.file, owner: pending });
      pending = null;
    } else {
      while (stack.length && stack[stack.length - 1]!.file !== e.file) stack.pop();
      pending = null;
    }
  }
  return tree;
}
