import type { PreprocessedTu, SyntaxNode } from "../model/syntax.js";

/**
 * The value of an enumerator, when its enum spells it out with plain numbers
 * (implicit successors included): enough to size `x[] = { [ENUM_A] = ... }`.
 */
export function enumValueOf(tu: PreprocessedTu): (name: string) => number | undefined {
  const cache = new Map<string, number | undefined>();
  return (name) => {
    if (cache.has(name)) return cache.get(name);
    const d = (tu.decls.get(name) ?? []).find((x) => x.kind === "enumerator");
    let value: number | undefined;
    if (d) {
      const list = findEnumeratorList(d.node, d.nameStart);
      let next: number | undefined = 0;
      for (const e of list?.namedChildren ?? []) {
        if (e.type !== "enumerator") continue;
        const v = e.childForFieldName("value");
        const here: number | undefined = v ? numberOf(v) : next;
        if (e.childForFieldName("name")?.startIndex === d.nameStart) {
          value = here;
          break;
        }
        next = here === undefined ? undefined : here + 1;
      }
    }
    cache.set(name, value);
    return value;
  };
}

function findEnumeratorList(node: SyntaxNode, nameStart: number): SyntaxNode | undefined {
  if (node.type === "enumerator_list" && node.startIndex <= nameStart && nameStart < node.endIndex) return node;
  for (const c of node.namedChildren) {
    if (c.startIndex <= nameStart && nameStart < c.endIndex) return findEnumeratorList(c, nameStart);
  }
  return undefined;
}

/** A plain integer literal (decimal, hex, octal), possibly negated or parenthesised. */
export function numberOf(n: SyntaxNode): number | undefined {
  const t = n.text.replace(/[()\s]/g, "").replace(/[uUlL]+$/, "");
  if (!/^-?(0x[0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.test(t)) return undefined;
  const neg = t.startsWith("-");
  const body = neg ? t.slice(1) : t;
  const v = body.startsWith("0x") ? parseInt(body, 16) : body.length > 1 && body.startsWith("0") ? parseInt(body, 8) : parseInt(body, 10);
  return neg ? -v : v;
}
