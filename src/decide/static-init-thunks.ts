import type { OutputPiece } from "../model/plan.js";
import type { SymbolUse } from "../model/policy.js";
import type { PpDecl, SourceFile, SourceItem, SyntaxNode } from "../model/syntax.js";
import type { TuContext } from "../model/tu.js";
import { declaredIdentifier } from "../parse/declarators.js";
import { skipParens } from "../parse/blank.js";
import { redeclare } from "./declarator.js";

/**
 * kallsyms mode reaches a non-exported function through a `klpe_` pointer filled in at init,
 * which a static initializer cannot name: `static const struct snd_ac97_bus_ops ops = {
 * .write = snd_ymfpci_codec_write }` in a replaced function must be a constant. There the
 * function is named by `klpt_X`, a thunk of the livepatch's own with X's prototype that calls
 * the kernel's X through the pointer: the table's address and its state stay the copy's (as
 * in klp-reloc mode, and as every copied static local), its calls reach the kernel's code.
 */

/** [start, end) of the initializers of `static` declarations inside `node` (or `node` itself). */
export function staticInitializerRanges(node: SyntaxNode): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const visit = (n: SyntaxNode) => {
    if (n.type === "declaration" && n.namedChildren.some((c) => c.type === "storage_class_specifier" && c.text === "static")) {
      for (const d of n.childrenForFieldName("declarator")) {
        const value = d.type === "init_declarator" ? d.childForFieldName("value") : null;
        if (value) out.push([value.startIndex, value.endIndex]);
      }
      return;
    }
    for (const c of n.namedChildren) visit(c);
  };
  visit(node);
  return out;
}

/**
 * `thunkFor(X)`: whether externalized function X gets a thunk (made once, from X's definition
 * in the file or its headers, else from the TU's prototype); the thunks made wait in `pending`
 * for the caller to place before the piece that names them.
 */
export function thunkMaker(ctx: TuContext, externalized: Map<string, SymbolUse>): { thunkFor: (name: string) => boolean; pending: OutputPiece[] } {
  const made = new Map<string, boolean>();
  const pending: OutputPiece[] = [];
  const thunkFor = (name: string): boolean => {
    if (made.has(name)) return made.get(name)!;
    const isFunction = externalized.get(name)?.what === "function";
    const def = isFunction ? [ctx.main, ...ctx.localHeaders.values()].flatMap((f) => f.items.filter((i) => i.kind === "function" && i.name === name).map((i) => ({ f, i })))[0] : undefined;
    const proto = isFunction && !def ? (ctx.tu.decls.get(name) ?? []).find((d) => d.kind === "function" || d.kind === "prototype") : undefined;
    const text = def ? thunkText(def.f, def.i, name) : proto ? prototypeThunkText(ctx.tu.text, proto, name) : undefined;
    made.set(name, text !== undefined);
    // Not before the klpe_ declaration it calls through, made at the definition's own line (not its comment's: kcm_rcv_strparser).
    const declLine = def ? Math.max(def.i.codeStartLine, ...(ctx.tu.decls.get(name) ?? []).filter((d) => ctx.markerToRel.get(d.file) === def.f.path).map((d) => d.line)) : 0;
    if (text) pending.push({ origin: def ? def.f.path : "klp-ccp", line: declLine, kind: "externalized", text, note: `${thunkName(name)} calls the kernel's ${name} through klpe_${name}: a static initializer needs a constant` });
    return text !== undefined;
  };
  return { thunkFor, pending };
}

/** The thunk's name for function `name`. */
export const thunkName = (name: string): string => `klpt_${name}`;

/**
 * `static R klpt_X(PARAMS) { return (*klpe_X)(ARGS); }` from X's definition in `file`;
 * undefined when it cannot forward its arguments (variadic, an unnamed or `void` list).
 */
export function thunkText(file: SourceFile, item: SourceItem, name: string): string | undefined {
  const node = item.node;
  const declarator = node?.childForFieldName("declarator");
  const body = node?.childForFieldName("body");
  if (!node || !declarator || !body) return undefined;
  const fn = functionDeclarator(declarator);
  const params = fn?.childForFieldName("parameters");
  const id = fn ? declaredIdentifier(fn) : undefined;
  if (!fn || !params || !id || id.text !== name) return undefined;
  const args: string[] = [];
  for (const p of params.namedChildren) {
    if (p.type === "comment") continue;
    if (p.type !== "parameter_declaration") return undefined; // `...`, or a K&R list
    const pid = declaredIdentifier(p.childForFieldName("declarator"));
    if (!pid) {
      if (params.namedChildren.length === 1 && p.text.trim() === "void") break;
      return undefined;
    }
    args.push(pid.text);
  }
  // The head as written (attributes such as __init would have been refused before), renamed.
  const head = file.text.slice(node.startIndex, id.startIndex) + thunkName(name) + file.text.slice(id.endIndex, body.startIndex);
  const returnsVoid = /^\s*(?:static\s+)?(?:inline\s+)?void\s*$/.test(file.text.slice(node.startIndex, fn.startIndex));
  const call = `(*klpe_${name})(${args.join(", ")})`;
  return `${/\bstatic\b/.test(head) ? "" : "static "}${head.trimEnd()}\n{\n\t${returnsVoid ? "" : "return "}${call};\n}`;
}

function functionDeclarator(d: SyntaxNode): SyntaxNode | undefined {
  // `int *f(int a)`: pointer_declarator > function_declarator.
  for (let n: SyntaxNode | null = d; n; n = n.childForFieldName("declarator")) if (n.type === "function_declarator") return n;
  return undefined;
}

/**
 * The thunk from X's declaration in the preprocessed TU, for a function defined elsewhere
 * (another file, `char *simple_dname(struct dentry *, char *, int)`): unnamed parameters get
 * names `a0`, `a1`...; undefined when one cannot be named (a function-pointer or array
 * parameter without a name) or the list is variadic.
 */
export function prototypeThunkText(iText: string, decl: PpDecl, name: string): string | undefined {
  const r = redeclare(iText, decl, thunkName(name));
  const fn = r ? functionDeclaratorNamed(decl.node, decl.nameStart) : undefined;
  const params = fn?.childForFieldName("parameters");
  if (!r || !params) return undefined;
  const texts: string[] = [];
  const args: string[] = [];
  const list = params.namedChildren.filter((p) => p.type !== "comment");
  for (const [i, p] of list.entries()) {
    if (p.type !== "parameter_declaration") return undefined;
    const text = iText.slice(p.startIndex, p.endIndex);
    const d = p.childForFieldName("declarator");
    const id = d ? declaredIdentifier(d) : undefined;
    if (id) {
      texts.push(text);
      args.push(id.text);
    } else if (!d && text.trim() === "void" && list.length === 1) break;
    else if (!d || /^[\s*]*(?:(?:const|volatile|restrict|__restrict)\b[\s*]*)*$/.test(d.text)) {
      texts.push(`${text} a${i}`);
      args.push(`a${i}`);
    } else return undefined;
  }
  const at = r.declarator.indexOf(`${thunkName(name)}(`);
  const open = at + thunkName(name).length;
  const close = at < 0 ? -1 : skipParens(r.declarator, open);
  if (close < 0) return undefined;
  const declarator = `${r.declarator.slice(0, open)}(${texts.join(", ")})${r.declarator.slice(close)}`;
  const returnsVoid = r.specifiers.trim() === "void" && !declarator.trimStart().startsWith("*");
  return `static ${r.specifiers} ${declarator}\n{\n\t${returnsVoid ? "" : "return "}(*klpe_${name})(${args.join(", ")});\n}`;
}

function functionDeclaratorNamed(top: SyntaxNode, nameStart: number): SyntaxNode | undefined {
  let found: SyntaxNode | undefined;
  const visit = (n: SyntaxNode) => {
    if (found) return;
    if (n.type === "function_declarator" && declaredIdentifier(n)?.startIndex === nameStart) found = n;
    else if (n.type !== "compound_statement") for (const c of n.namedChildren) visit(c);
  };
  visit(top);
  return found;
}
