import type { NameReference } from "../model/references.js";
import type { SyntaxNode } from "../model/syntax.js";
import { isTypedefNamePrimitive } from "../parse/declarators.js";

/**
 * Finds the names a piece of C uses that are not declared inside it: the
 * references that must resolve at file scope. Scopes follow C: a function's
 * parameters, each compound statement, each `for` statement. Inside ERROR
 * nodes (unparsed kernel macros) identifiers still count as uses, which errs
 * on the side of pulling in too much rather than missing a dependency.
 *
 * Walks with a tree cursor, which reads each node's type, field and text in
 * place: a node object per visited node (what namedChildren hands out) costs
 * tree-sitter's binding ~2-3x more, and the closure walks thousands of nodes.
 * Every walk function leaves the cursor where it found it.
 */
export function freeReferences(node: SyntaxNode, blanked: NameReference[] = []): NameReference[] {
  const out: NameReference[] = [];
  const scopes: Array<Set<string>> = [];
  const declared = (name: string) => scopes.some((s) => s.has(name));
  const declare = (name: string) => scopes[scopes.length - 1]?.add(name);
  const c = node.walk();
  // Names the normalisation hid from the tree (blanked-names.ts), sorted by offset: each is
  // judged by the scopes in force when the walk passes its position.
  let nextBlanked = 0;
  const passBlanked = (upTo: number) => {
    for (; nextBlanked < blanked.length && blanked[nextBlanked]!.start < upTo; nextBlanked++) {
      const r = blanked[nextBlanked]!;
      if (r.namespace === "tag" || !declared(r.name)) out.push(r);
    }
  };

  /** Calls `each` on every named child (the cursor on it, with its field name). */
  const children = (each: (field: string | null | undefined) => void) => {
    if (!c.gotoFirstChild()) return;
    do if (c.nodeIsNamed) each(c.currentFieldName);
    while (c.gotoNextSibling());
    c.gotoParent();
  };
  const hasField = (field: string) => {
    let found = false;
    children((f) => (found ||= f === field));
    return found;
  };
  const use = (namespace: NameReference["namespace"], parent: { type: string; start: number } | null) => {
    const start = c.startIndex;
    // A call when this is the call expression's `function`: the part a call starts with.
    const isCall = parent?.type === "call_expression" && parent.start === start;
    out.push({ name: c.nodeText, namespace, start, end: c.endIndex, isCall });
  };

  /** The node under the cursor; `parent`: its parent's type and start (for calls). */
  const visit = (parent: { type: string; start: number } | null): void => {
    const type = c.nodeType;
    if (nextBlanked < blanked.length) passBlanked(c.startIndex);
    switch (type) {
      case "function_definition":
        scopes.push(new Set());
        // Only its type, declarator and body: storage classes and attributes name nothing.
        children((field) => {
          if (field === "type") visit(here(type));
          else if (field === "declarator") visitDeclarator(false);
          else if (field === "body") visitChildren();
        });
        scopes.pop();
        return;
      case "compound_statement":
      case "for_statement":
        scopes.push(new Set());
        visitChildren();
        passBlanked(c.endIndex);
        scopes.pop();
        return;
      case "declaration":
      case "parameter_declaration":
      case "field_declaration":
      case "type_definition": {
        const declares = type !== "field_declaration";
        const self = here(type);
        children((field) => (field === "declarator" ? visitDeclarator(declares) : visit(self)));
        return;
      }
      case "identifier":
        if (!declared(c.nodeText)) use("ordinary", parent);
        return;
      case "type_identifier":
        if (!declared(c.nodeText)) use("ordinary", parent);
        return;
      case "primitive_type":
        // size_t, uint32_t, bool: the grammar's built-ins, but a file may typedef them itself.
        if (isTypedefNamePrimitive(c.nodeText) && !declared(c.nodeText)) use("ordinary", parent);
        return;
      case "struct_specifier":
      case "union_specifier":
      case "enum_specifier": {
        // Its name is a tag: a use where the specifier has no body (a body defines it).
        const defines = hasField("body");
        const self = here(type);
        children((field) => {
          if (field === "name" && c.nodeType === "type_identifier") {
            if (!defines) use("tag", self);
          } else visit(self);
        });
        return;
      }
      case "field_identifier":
      case "statement_identifier":
      case "string_literal":
      case "char_literal":
      case "number_literal":
      case "comment":
      case "system_lib_string":
        return;
      case "enumerator": {
        const self = here(type);
        children((field) => {
          if (field === "name") declare(c.nodeText);
        });
        children((field) => {
          if (field === "value") visit(self);
        });
        return;
      }
      default:
        visitChildren();
    }
  };
  /** The cursor's node as the parent of what is visited below it. */
  const here = (type: string) => ({ type, start: c.startIndex });
  const visitChildren = () => {
    const self = here(c.nodeType);
    children(() => visit(self));
  };
  /** Declares the declarator's identifier; visits sizes, parameter types and initialisers as uses. */
  const visitDeclarator = (declares: boolean): void => {
    const type = c.nodeType;
    switch (type) {
      case "identifier":
      case "type_identifier":
        if (declares) declare(c.nodeText);
        return;
      case "field_identifier":
        return;
      case "init_declarator": {
        const self = here(type);
        children((field) => {
          if (field === "declarator") visitDeclarator(declares);
          else if (field === "value") visit(self);
        });
        return;
      }
      case "function_declarator":
        children((field) => {
          if (field === "declarator") visitDeclarator(declares);
          // Parameters are declared in the scope that the enclosing function opens.
          else if (field === "parameters") visitChildren();
        });
        return;
      default: {
        const self = here(type);
        const all = type === "parenthesized_declarator";
        children((field) => (all || field === "declarator" ? visitDeclarator(declares) : visit(self)));
      }
    }
  };
  visit(null);
  passBlanked(Infinity);
  if (!blanked.length) return out;
  // Where the tree still had the construct (raw source keeps typeof), a name is met twice: once.
  const seen = new Set<number>();
  return out.filter((r) => !seen.has(r.start) && (seen.add(r.start), true)).sort((a, b) => a.start - b.start);
}
