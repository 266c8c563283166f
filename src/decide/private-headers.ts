import { dirname, join, normalize } from "node:path";
import type { SourceFile, SourceItem } from "../model/syntax.js";
import type { TuContext } from "../model/tu.js";

/**
 * The private header an #include brings in, if it is one: next to the including file
 * (`"../common.h"`), or found through the TU's -I directories (`<priv.h>` from a driver's
 * own include/), which no module build has either. Read from the files the include brought
 * in; a header already read once (include guard) is found by its path.
 */
export function includedLocalHeader(ctx: TuContext, from: SourceFile, item: SourceItem, key: string): SourceFile | undefined {
  const path = item.includePath!;
  const beside = item.includeQuoted ? ctx.localHeaders.get(normalize(join(dirname(from.path), path))) : undefined;
  if (beside) return beside;
  const endsRight = (rel: string) => rel === path || rel.endsWith(`/${path}`);
  for (const f of ctx.tu.includeTree.get(key) ?? []) {
    const rel = ctx.markerToRel.get(f);
    if (rel !== undefined && endsRight(rel)) return ctx.localHeaders.get(rel);
  }
  const named = [...ctx.localHeaders.keys()].filter(endsRight);
  return named.length === 1 ? ctx.localHeaders.get(named[0]!) : undefined;
}

/**
 * A copied item's own `#include` lines (nouveau's `#include <core/layout.h>` inside an enum and
 * a struct body: an X-macro list read once per use) may name private headers the module build
 * cannot find (it has not the TU's -I directories): each such line becomes that header's text,
 * as the compiler read it there. Other includes (kernel headers) stay as written.
 */
export function withPrivateIncludesInlined(ctx: TuContext, from: SourceFile, text: string, depth = 0): string {
  if (depth > 8 || !/#\s*include/.test(text)) return text;
  return text.replace(/^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"][^\n]*$/gm, (line: string, quote: string, path: string) => {
    const header = privateHeaderNamed(ctx, from, path, quote === '"');
    if (!header) return line;
    const body = withPrivateIncludesInlined(ctx, header, header.text.replace(/\s+$/, ""), depth + 1);
    return `/* klp-ccp: ${line.trim().replace(/\*\//g, "* /")} inlined from ${header.path} (a private header) */\n${body}`;
  });
}

function privateHeaderNamed(ctx: TuContext, from: SourceFile, path: string, quoted: boolean): SourceFile | undefined {
  const beside = quoted ? ctx.localHeaders.get(normalize(join(dirname(from.path), path))) : undefined;
  if (beside) return beside;
  const named = [...ctx.localHeaders.keys()].filter((rel) => rel === path || rel.endsWith(`/${path}`));
  return named.length === 1 ? ctx.localHeaders.get(named[0]!) : undefined;
}
