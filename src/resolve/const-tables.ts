import type { SourceFile, SourceItem } from "../model/syntax.js";
import { declaratorsOf, declaredIdentifier } from "../parse/declarators.js";
import { identifierTokens } from "./rename.js";

/** A `static const` table of the file whose values the patch changes, and the functions that read it. */
export type ConstTableChange =
  | { kind: "copy"; name: string; readers: string[] }
  /** Not a table a copy can stand in for: the running kernel keeps the old data (KLP-E022, with this reason). */
  | { kind: "data"; why: string };

/**
 * A `static const` table holds no state: the patch's new values can live in a
 * copy (klpp_NAME) read by replaced copies of every function that names it,
 * which is what kpatch-build does for changed .rodata. That holds only when
 * functions are all that read it: a table another declaration names (an ops
 * table's `.scales = t`), or whose address a function hands on (stored or
 * passed, not indexed), keeps the old values where that address went.
 * undefined: not a static const table at all.
 */
export function constTableChange(item: SourceItem, file: SourceFile, patched: SourceFile): ConstTableChange | undefined {
  const node = item.node;
  if (!node || node.type !== "declaration") return undefined;
  const declarators = declaratorsOf(node);
  if (declarators.length !== 1 || declarators[0]!.type !== "init_declarator") return undefined;
  const id = declaredIdentifier(declarators[0]!.childForFieldName("declarator"));
  const specifiers = file.text.slice(node.startIndex, declarators[0]!.startIndex);
  // The object itself read-only: `static const int t[]` or `static const char * const t[]`, not
  // `static const char *t[]` (pointers that may change).
  if (!id) return undefined;
  const pointers = file.text.slice(declarators[0]!.startIndex, id.startIndex).replace(/\*\s*const\b/g, "");
  if (!/\bstatic\b/.test(specifiers) || !/\bconst\b/.test(specifiers) || pointers.includes("*")) return undefined;
  const name = id.text;
  const readers: string[] = [];
  for (const other of patched.items) {
    const text = patched.text.slice(other.codeStart, other.end);
    const uses = identifierTokens(text).filter((t) => t.name === name);
    if (uses.length === 0) continue;
    if (other.kind !== "function" || !other.name) {
      if (other.kind === "declaration" && declares(other, patched, name)) continue;
      return { kind: "data", why: `${name} is named outside a function (${patched.path}:${other.startLine}), which keeps the old table` };
    }
    const escaping = uses.find((t) => !/^\s*\[/.test(text.slice(t.end)) && !/\b(?:sizeof|ARRAY_SIZE)\s*\(\s*$/.test(text.slice(0, t.start)));
    if (escaping) return { kind: "data", why: `${other.name} uses ${name} other than by index (its address may be kept), which would keep the old table` };
    readers.push(other.name);
  }
  if (readers.length === 0) return { kind: "data", why: `no function of ${patched.path} reads ${name}` };
  return { kind: "copy", name, readers };
}

/** True when the declaration item declares `name` (the table's own definition, or a prototype of it). */
function declares(item: SourceItem, file: SourceFile, name: string): boolean {
  return item.node ? declaratorsOf(item.node).some((d) => declaredIdentifier(d.type === "init_declarator" ? d.childForFieldName("declarator") : d)?.text === name) : false;
}
