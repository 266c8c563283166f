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
