import type { SourceFile, SourceItem } from "../model/syntax.js";

/** The tag of a bare `struct A;` (a forward declaration), else undefined. */
export function forwardTagName(item: SourceItem): string | undefined {
  const n = item.kind === "declaration" && item.node && /^(?:struct|union|enum)_specifier$/.test(item.node.type) ? item.node : undefined;
  return n && !n.childForFieldName("body") ? n.childForFieldName("name")?.text : undefined;
}

/** `struct s { ... };` of a declaration `static struct s { ... } v = ...;`: the named type without the object. */
export function typePartOf(file: SourceFile, item: SourceItem): string | undefined {
  const type = item.node?.type === "declaration" ? item.node.childForFieldName("type") : null;
  const isNamedBody = type && /^(?:struct|union|enum)_specifier$/.test(type.type) && type.childForFieldName("body") && type.childForFieldName("name");
  return isNamedBody ? `${file.text.slice(type.startIndex, type.endIndex)};` : undefined;
}

/** A declaration's first `struct s { ... }` reduced to `struct s` (its body is copied on its own). */
export function withoutTagBody(text: string): string {
  const m = /\b(?:struct|union|enum)\s+[A-Za-z_$][\w$]*\s*(?=\{)/.exec(text);
  if (!m) return text;
  let depth = 0;
  for (let i = m.index + m[0].length; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return `${text.slice(0, m.index)}${m[0].trimEnd()}${text.slice(i + 1)}`;
  }
  return text;
}
