import { skipParens } from "../parse/blank.js";
import type { PpDecl, SyntaxNode } from "../model/syntax.js";
import { declaratorsOf, declaredIdentifier } from "../parse/declarators.js";
import { numberOf } from "./enum-values.js";

/**
 * Rewrites the TU's own declaration of a symbol into one that declares a
 * different name of the same type: `static struct file_system_type
 * *__get_fs_type(const char *name, int len) {...}` with `(*klpe___get_fs_type)`
 * gives the pointer declaration klp-ccp needs. Text comes from the
 * preprocessed TU, minus storage classes, attributes, asm labels and
 * initialisers. Returns undefined when the declaration cannot be taken apart.
 */
export function redeclare(iText: string, decl: PpDecl, newDeclarator: string, enumValue: (name: string) => number | undefined = () => undefined): { specifiers: string; declarator: string } | undefined {
  const top = decl.node;
  let declarator: SyntaxNode | null = null;
  if (top.type === "function_definition") declarator = top.childForFieldName("declarator");
  else {
    for (const d of declaratorsOf(top)) {
      if (declaredIdentifier(d)?.startIndex === decl.nameStart) declarator = d;
    }
  }
  if (!declarator) return undefined;
  const init = declarator.type === "init_declarator" ? declarator.childForFieldName("value") : null;
  if (declarator.type === "init_declarator") declarator = declarator.childForFieldName("declarator");
  if (!declarator) return undefined;
  const firstDeclarator = top.type === "function_definition" ? declarator : declaratorsOf(top)[0]!;
  // `extern struct g { ... } g;` (sctp_globals): the header that defined the struct is included
  // by the livepatch too, so the new declaration names the tag only (a second body is a redefinition).
  const type = top.childForFieldName("type");
  const tag = type && /^(?:struct|union|enum)_specifier$/.test(type.type) && type.childForFieldName("body") ? type.childForFieldName("name") : null;
  const specifiers = clean(tag && type
    ? iText.slice(top.startIndex, type.startIndex) + `${type.type.replace("_specifier", "")} ${tag.text}` + iText.slice(type.endIndex, firstDeclarator.startIndex)
    : iText.slice(top.startIndex, firstDeclarator.startIndex));
  let d = iText.slice(declarator.startIndex, decl.nameStart) + newDeclarator + iText.slice(decl.nameStart + decl.name.length, declarator.endIndex);
  // `x[] = { a, b, c }` takes its size from the initializer; a pointer to it must not be incomplete
  // (ARRAY_SIZE(x) is common).
  const around = declaredIdentifier(declarator)?.parent;
  if (around?.type === "array_declarator" && !around.childForFieldName("size") && init?.type === "initializer_list") {
    const size = initializerLength(init, enumValue);
    // The first dimension is the one left open (`x[][32]`: `[5][32]`).
    const after = d.indexOf(newDeclarator) + newDeclarator.length;
    if (size !== undefined) d = d.slice(0, after) + d.slice(after).replace(/^\s*\[\s*\]/, `[${size}]`);
  }
  return { specifiers, declarator: clean(d) };
}

const STORAGE = /\b(?:static|extern|inline|__inline__|__inline|register|__thread|_Thread_local)\b/g;

function clean(text: string): string {
  // A line marker inside the declaration (its type came from a macro of another file: `bool`).
  let t = text.replace(/(^|\n)#[^\n]*/g, "$1");
  t = removeCalls(t, /\b(?:__attribute__|__attribute|asm|__asm__|__asm)\s*(?=\()/g);
  t = t.replace(STORAGE, " ");
  return t.replace(/\s+/g, " ").trim();
}

function removeCalls(text: string, re: RegExp): string {
  let out = "";
  let pos = 0;
  for (const m of text.matchAll(re)) {
    if (m.index < pos) continue;
    const end = skipParens(text, m.index + m[0].length);
    if (end < 0) continue;
    out += text.slice(pos, m.index) + " ";
    pos = end;
  }
  return out + text.slice(pos);
}

/**
 * Elements of an array initializer: positional ones count up, `[N] =` ones
 * jump to N (a number or a plainly numbered enumerator); the size is the
 * highest index + 1. Undefined when an index cannot be worked out.
 */
function initializerLength(init: SyntaxNode, enumValue: (name: string) => number | undefined): number | undefined {
  let next = 0;
  let size = 0;
  for (const e of init.namedChildren) {
    if (e.type === "comment") continue;
    let index = next;
    if (e.type === "initializer_pair") {
      const designator = e.childForFieldName("designator") ?? e.namedChildren[0];
      if (designator?.type !== "subscript_designator") return undefined;
      const expr = designator.namedChildren[0];
      if (!expr) return undefined;
      const v = numberOf(expr) ?? (expr.type === "identifier" ? enumValue(expr.text) : undefined);
      if (v === undefined) return undefined;
      index = v;
    }
    next = index + 1;
    size = Math.max(size, next);
  }
  return size || undefined;
}
