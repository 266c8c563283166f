import type { PpDecl, SourceFile, SourceItem } from "../model/syntax.js";
import { homeOf, ownDecls, type TuContext } from "../model/tu.js";

/** The declarations of the .c file and its local headers, by source-relative file. */
export function indexDeclsByLine(ctx: TuContext): Map<string, PpDecl[]> {
  const m = new Map<string, PpDecl[]>();
  for (const list of ownDecls(ctx).values()) {
    for (const d of list) {
      if (homeOf(ctx, d) === "header") continue;
      const rel = ctx.markerToRel.get(d.file)!;
      const arr = m.get(rel) ?? [];
      arr.push(d);
      m.set(rel, arr);
    }
  }
  return m;
}

/** The `file:line` key of an #include the preprocessor processed (undefined: in a dead #if branch). */
export function liveIncludeKey(ctx: TuContext, file: SourceFile, item: SourceItem): string | undefined {
  for (const [marker, rel] of ctx.markerToRel) {
    const key = `${marker}:${item.startLine}`;
    if (rel === file.path && ctx.tu.liveIncludes.has(key)) return key;
  }
  return undefined;
}

export function isLiveMacro(ctx: TuContext, file: SourceFile, item: SourceItem): boolean {
  // The item may start with its leading comment; the #define is inside its range.
  return (ctx.tu.macros.get(item.name ?? "") ?? []).some((m) => ctx.markerToRel.get(m.file) === file.path && m.line >= item.startLine && m.line <= item.endLine);
}
