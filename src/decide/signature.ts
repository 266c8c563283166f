import type { SourceFile, SourceItem, SyntaxNode } from "../model/syntax.js";
import { canonicalTypes } from "../resolve/type-spelling.js";

/**
 * What a caller of a function depends on, as text: storage, return type,
 * attributes and each parameter's type. Parameter names are not part of it,
 * an array parameter is the pointer it decays to (`const char t[8]` and
 * `const char t[9]` are both `const char *`), and integer types are spelled
 * one way, so two definitions with the same key have the same ABI.
 * `head` is the definition's text up to its body (see headerText).
 */
export function signatureKey(file: SourceFile, item: SourceItem, head: string): string {
  const body = item.node?.childForFieldName("body");
  const params = item.node ? ownParameters(item.node) : undefined;
  const headStart = body ? body.startIndex - head.length : -1;
  if (!body || !params || params.startIndex < headStart) return canonicalTypes(head);
  const list = params.namedChildren.filter((p) => p.type !== "comment").map(parameterType);
  return [canonicalTypes(file.text.slice(headStart, params.startIndex)), "(", list.join(" , "), ")", canonicalTypes(file.text.slice(params.endIndex, body.startIndex))].join(" ");
}

/** The parameter list of the declarator that names the function (the innermost one). */
function ownParameters(definition: SyntaxNode): SyntaxNode | undefined {
  let found: SyntaxNode | undefined;
  for (let d = definition.childForFieldName("declarator"); d; d = d.childForFieldName("declarator") ?? (d.type === "parenthesized_declarator" ? d.namedChildren[0] ?? null : null)) {
    if (d.type === "function_declarator") found = d.childForFieldName("parameters") ?? undefined;
  }
  return found;
}

/** A parameter without its name, an outermost array dimension decayed to a pointer. */
function parameterType(param: SyntaxNode): string {
  const declarator = param.childForFieldName("declarator");
  if (param.type !== "parameter_declaration" || !declarator) return canonicalTypes(param.text);
  let name: SyntaxNode | null = declarator;
  while (name && name.type !== "identifier") name = name.childForFieldName("declarator") ?? (name.type === "parenthesized_declarator" ? name.namedChildren[0] ?? null : null);
  if (!name) return canonicalTypes(param.text);
  const at = (n: SyntaxNode) => n.startIndex - param.startIndex;
  const text = param.text;
  // The array dimension nearest the name is the parameter's own (`t[8]`, `m[2][3]`, `*v[4]`): a pointer.
  const nearest = name.parent?.type === "array_declarator" ? name.parent : undefined;
  if (!nearest) return canonicalTypes(text.slice(0, at(name)) + text.slice(at(name) + name.text.length));
  const rest = text.slice(at(nearest) + nearest.text.length);
  return canonicalTypes(text.slice(0, at(name)) + (/^\s*\[/.test(rest) ? "(*)" : "*") + rest);
}
