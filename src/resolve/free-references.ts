import type { NameReference } from "../model/references.js";
import type { SyntaxNode } from "../model/syntax.js";

/**
 * Finds the names a piece of C uses that are not declared inside it: the
 * references that must resolve at file scope. Scopes follow C: a function's
 * parameters, each compound statement, each `for` statement. Inside ERROR
 * nodes (unparsed kernel macros) identifiers still count as uses, which errs
 * on the side of pulling in too much rather than missing a dependency.
 */
export function freeReferences(node: SyntaxNode): NameReference[] {
  const out: NameReference[] = [];
  const scopes: Array<Set<string>> = [];
  const declared = (name: string) => scopes.some((s) => s.has(name));
  const declare = (name: string) => scopes[scopes.length - 1]?.add(name);

  const visit = (n: SyntaxNode): void => {
    switch (n.type) {
      case "function_definition": {
        scopes.push(new Set());
        const decl = n.childForFieldName("declarator");
        const type = n.childForFieldName("type");
        if (type) visit(type);
        if (decl) visitDeclarator(decl, false);
        const body = n.childForFieldName("body");
        if (body) visitChildren(body);
        scopes.pop();
        return;
      }
      case "compound_statement":
      case "for_statement":
        scopes.push(new Set());
        visitChildren(n);
        scopes.pop();
        return;
      case "declaration":
      case "parameter_declaration":
      case "field_declaration": {
        for (const c of n.namedChildren) {
          if (isDeclaratorField(n, c)) visitDeclarator(c, n.type !== "field_declaration");
          else visit(c);
        }
        return;
      }
      case "type_definition": {
        for (const c of n.namedChildren) {
          if (isDeclaratorField(n, c)) visitDeclarator(c, true);
          else visit(c);
        }
        return;
      }
      case "identifier":
        if (!declared(n.text)) out.push(ref(n, "ordinary"));
        return;
      case "type_identifier": {
        const p = n.parent;
        const isTagName = p && /^(struct|union|enum)_specifier$/.test(p.type) && p.childForFieldName("name")?.startIndex === n.startIndex;
        if (isTagName) {
          if (!p.childForFieldName("body")) out.push(ref(n, "tag"));
        } else if (!declared(n.text)) out.push(ref(n, "ordinary"));
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
        const name = n.childForFieldName("name");
        if (name) declare(name.text);
        const value = n.childForFieldName("value");
        if (value) visit(value);
        return;
      }
      default:
        visitChildren(n);
    }
  };
  const visitChildren = (n: SyntaxNode) => {
    for (const c of n.namedChildren) visit(c);
  };
  /** Declares the declarator's identifier; visits sizes, parameter types and initialisers as uses. */
  const visitDeclarator = (d: SyntaxNode, declares: boolean): void => {
    switch (d.type) {
      case "identifier":
      case "type_identifier":
        if (declares) declare(d.text);
        return;
      case "field_identifier":
        return;
      case "init_declarator": {
        const inner = d.childForFieldName("declarator");
        if (inner) visitDeclarator(inner, declares);
        const value = d.childForFieldName("value");
        if (value) visit(value);
        return;
      }
      case "function_declarator": {
        const inner = d.childForFieldName("declarator");
        if (inner) visitDeclarator(inner, declares);
        const params = d.childForFieldName("parameters");
        // Parameters are declared in the scope that the enclosing function opens.
        if (params) for (const p of params.namedChildren) visit(p);
        return;
      }
      default:
        for (const c of d.namedChildren) {
          if (isDeclaratorField(d, c) || d.type === "parenthesized_declarator") visitDeclarator(c, declares);
          else visit(c);
        }
    }
  };
  visit(node);
  return out;
}

function isDeclaratorField(parent: SyntaxNode, child: SyntaxNode): boolean {
  return parent.childrenForFieldName("declarator").some((c) => c.startIndex === child.startIndex && c.endIndex === child.endIndex);
}

function ref(n: SyntaxNode, namespace: NameReference["namespace"]): NameReference {
  const p = n.parent;
  const isCall = p?.type === "call_expression" && p.childForFieldName("function")?.startIndex === n.startIndex;
  return { name: n.text, namespace, start: n.startIndex, end: n.endIndex, isCall };
}
