import { skipParens } from "../parse/blank.js";
import type { PpDecl, SyntaxNode } from "../model/syntax.js";
import { declaratorsOf, declaredIdentifier } from "../parse/declarators.js";

/**
 * Rewrites the TU's own declaration of a symbol into one that declares a
 * different name of the same type: `static struct file_system_type
 * *__get_fs_type(const char *name, int len) {...}` with `(*klpe___get_fs_type)`
 * gives the pointer declaration klp-ccp needs. Text comes from the
 * preprocessed TU, minus storage classes, attributes, asm labels and
 * initialisers. Returns undefined when the declaration cannot be taken apart.
 */
export function redeclare(iText: string, decl: PpDecl, newDeclarator: string): { specifiers: string; declarator: string } | undefined {
  const top = decl.node;
  let declarator: SyntaxNode | null = null;
  if (top.type === "function_definition") declarator = top.childForFieldName("declarator");
  else {
    for (const d of declaratorsOf(top)) {
      if (declaredIdentifier(d)?.startIndex === decl.nameStart) declarator = d;
    }
  }
  if (!declarator) return undefined;
  if (declarator.type === "init_declarator") declarator = declarator.childForFieldName("declarator");
  if (!declarator) return undefined;
  const firstDeclarator = top.type === "function_definition" ? declarator : declaratorsOf(top)[0]!;
  const specifiers = clean(iText.slice(top.startIndex, firstDeclarator.startIndex));
  const d = iText.slice(declarator.startIndex, decl.nameStart) + newDeclarator + iText.slice(decl.nameStart + decl.name.length, declarator.endIndex);
  return { specifiers, declarator: clean(d) };
}

const STORAGE = /\b(?:static|extern|inline|__inline__|__inline|register|__thread|_Thread_local)\b/g;

function clean(text: string): string {
  let t = removeCalls(text, /\b(?:__attribute__|__attribute|asm|__asm__|__asm)\s*(?=\()/g);
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
