import type { SyntaxNode } from "../model/syntax.js";

/** C's own type keywords; tree-sitter-c's other primitive types (size_t, uint32_t, bool) are typedef names a file may define itself. */
const KEYWORD_TYPES = new Set(["char", "int", "float", "double", "void"]);

/** True for a `primitive_type` node that is really a typedef name (`size_t`), not a keyword. */
export function isTypedefNamePrimitive(text: string): boolean {
  return !KEYWORD_TYPES.has(text);
}

/** The identifier a declarator declares, found by following `declarator` fields. */
export function declaredIdentifier(declarator: SyntaxNode | null): SyntaxNode | null {
  let n = declarator;
  while (n) {
    if (n.type === "identifier" || n.type === "type_identifier" || n.type === "field_identifier") return n;
    // `typedef unsigned int uint32_t;`: the grammar reads the new name as a primitive type.
    if (n.type === "primitive_type") return isTypedefNamePrimitive(n.text) ? n : null;
    const inner: SyntaxNode | null =
      n.childForFieldName("declarator") ??
      (n.type === "parenthesized_declarator" ? (n.namedChildren[0] ?? null) : null);
    n = inner;
  }
  return null;
}

/** True when the declarator declares a function (not a pointer to one). */
export function declaresFunction(declarator: SyntaxNode): boolean {
  const id = declaredIdentifier(declarator);
  let n = id?.parent ?? null;
  while (n && n.type === "parenthesized_declarator") n = n.parent;
  return n?.type === "function_declarator";
}

/** All `declarator` field children of a declaration node (it may declare several names). */
export function declaratorsOf(decl: SyntaxNode): SyntaxNode[] {
  return decl.childrenForFieldName("declarator");
}

/** Storage-class words and `inline` written on a declaration. */
export function storageWords(decl: SyntaxNode): Set<string> {
  const words = new Set<string>();
  for (const c of decl.namedChildren) {
    if (c.type === "storage_class_specifier") words.add(c.text.trim());
  }
  return words;
}
