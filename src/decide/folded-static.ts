import type { Closure } from "../closure/closure.js";
import type { SyntaxNode } from "../model/syntax.js";
import { homeOf, type TuContext } from "../model/tu.js";
import { declaratorsOf } from "../parse/declarators.js";
import { blankComments } from "../parse/c-lexer.js";

type Need = Closure["symbols"] extends Map<string, infer N> ? N : never;

/**
 * Why a static variable of the TU with no symbol may be copied instead of
 * externalized; undefined when it may not (then it is state the livepatch
 * must reach, and without a symbol that is an error). gcc keeps no symbol
 * for a variable it folded into its users: a `static const`, a scalar that
 * nothing writes, or an empty struct (`struct lock_class_key {}` without
 * lockdep). None holds state, so a copy reads what the original would.
 * A variable written anywhere, or whose address is taken, is state.
 */
export function foldedStaticReason(ctx: TuContext, need: Need, copiedFunctions: ReadonlySet<string>): string | undefined {
  if (need.what !== "variable" || !need.isStatic || need.decl.kind !== "variable" || homeOf(ctx, need.decl) === "header") return undefined;
  const top = need.decl.node;
  const declarators = declaratorsOf(top);
  // Copying the declaration copies every name it declares: only a lone one.
  if (declarators.length !== 1) return undefined;
  const init = declarators[0]!.type === "init_declarator" ? declarators[0]!.childForFieldName("value") : null;
  const plain = (declarators[0]!.type === "init_declarator" ? declarators[0]!.childForFieldName("declarator") : declarators[0])?.type === "identifier";
  const type = top.childForFieldName("type");
  if (!type || !plain) return undefined;
  const tag = type.type === "struct_specifier" ? type.childForFieldName("name")?.text : undefined;
  if (tag && !init && isEmptyStruct(ctx, tag)) return `static struct ${tag} with no members (as without lockdep): no bytes, no symbol, nothing to reach; the copy is the same nothing`;
  if (init && !constantInitializer(ctx, init, copiedFunctions)) return undefined;
  const isConst = top.namedChildren.some((c) => c.type === "type_qualifier" && c.text === "const");
  if (isConst) return "static const folded by gcc (no symbol): it holds no state, its definition is copied";
  if ((type.type === "primitive_type" || type.type === "sized_type_specifier") && !isWritten(ctx, need.name)) {
    return "static scalar nothing writes or takes the address of, folded by gcc (no symbol): it holds no state, its definition is copied";
  }
  return undefined;
}

function isEmptyStruct(ctx: TuContext, tag: string): boolean {
  return (ctx.tu.decls.get(tag) ?? []).some((d) => d.namespace === "tag" && /^struct\s+\w+\s*\{\s*\}/.test(ctx.tu.text.slice(d.start, d.end)));
}

/**
 * An initializer whose identifiers are enumerators or functions the livepatch defines
 * (the closure copies the static functions such an initializer names): a link-time
 * constant in the copy too, which needs no state of the TU.
 */
function constantInitializer(ctx: TuContext, init: SyntaxNode, copiedFunctions: ReadonlySet<string>): boolean {
  const ids: string[] = [];
  const visit = (n: SyntaxNode) => {
    if (n.type === "identifier") ids.push(n.text);
    else if (n.type !== "field_designator" && n.type !== "sizeof_expression") for (const c of n.namedChildren) visit(c);
  };
  visit(init);
  return ids.every((id) => copiedFunctions.has(id) || (ctx.tu.decls.get(id) ?? []).some((d) => d.kind === "enumerator"));
}

/** Assigned, incremented or address-taken anywhere in the .c file or its private headers (macros included). */
function isWritten(ctx: TuContext, name: string): boolean {
  const esc = name.replace(/\$/g, "\\$");
  const write = new RegExp(`(?:(?<!&)&(?!&)|\\+\\+|--)\\s*${esc}\\b|\\b${esc}\\s*(?:\\[[^\\]]*\\]\\s*)*(?:[-+*/%&|^]|<<|>>)?=(?!=)|\\b${esc}\\s*(?:\\+\\+|--)`);
  return [ctx.main, ...ctx.localHeaders.values()].some((f) => {
    let text = stripStrings(f.text);
    // Its own definition initializes, it does not write.
    for (const item of f.items) {
      if (item.kind === "declaration" && new RegExp(`^[^=]*\\b${esc}\\b`).test(text.slice(item.codeStart, item.end))) {
        text = text.slice(0, item.codeStart) + " ".repeat(item.end - item.codeStart) + text.slice(item.end);
      }
    }
    return write.test(text);
  });
}

/** Strings and comments blanked, offsets kept. */
function stripStrings(text: string): string {
  return blankComments(text, true);
}
