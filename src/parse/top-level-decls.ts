import type { NameSpace, PpDeclKind, SyntaxNode } from "../model/syntax.js";
import { declaratorsOf, declaredIdentifier, declaresFunction, storageWords } from "./declarators.js";
import type { DeclFact } from "./skim.js";

/** What one top-level node of a tree-sitter tree declares (when skim.ts declines a chunk). */
export function declsOfTopLevel(top: SyntaxNode): DeclFact[] {
  const out: DeclFact[] = [];
  const storage = storageWords(top);
  const st: DeclFact["storage"] = storage.has("static") ? "static" : storage.has("extern") ? "extern" : "none";
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
function tagsIn(node: SyntaxNode): DeclFact[] {
  const out: DeclFact[] = [];
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
