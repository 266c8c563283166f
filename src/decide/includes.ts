import type { OutputPiece } from "../model/plan.js";
import type { TuContext } from "../model/tu.js";
import type { Closure } from "../closure/closure.js";
import { identifierTokens } from "../resolve/rename.js";

/** Header files the copied code needs: declarations it uses and macros it names, transitively. */
export function neededHeaderFiles(ctx: TuContext, closure: Closure, tokens: Set<string>): Set<string> {
  const files = new Set(closure.headerFiles);
  const queue = [...tokens];
  const seen = new Set(queue);
  while (queue.length) {
    const defs = ctx.tu.macros.get(queue.shift()!) ?? [];
    const def = defs[defs.length - 1];
    if (!def) continue;
    files.add(def.file);
    for (const t of identifierTokens(def.definition)) {
      if (!seen.has(t.name)) {
        seen.add(t.name);
        queue.push(t.name);
      }
    }
  }
  return files;
}

/**
 * Marks which #includes bring in something the copied code uses. All stay:
 * dropping headers breaks others that rely on include order. The unneeded
 * ones may be dropped later, one at a time, when a trial compile as a module
 * fails inside them (some kernel headers hide content from modules:
 * asm/tlbflush.h is `#ifndef MODULE`, which breaks asm/tlb.h).
 */
export function annotateIncludes(ctx: TuContext, candidates: Array<{ key: string; piece: OutputPiece }>, needed: Set<string>): OutputPiece[] {
  return candidates.map((c) => {
    const files = ctx.tu.includeTree.get(c.key) ?? new Set<string>();
    const target = /#\s*include\s*[<"]([^>"]+)[>"]/.exec(c.piece.text)?.[1];
    // The target itself counts even when an earlier include already brought it in (no markers then).
    const isNeeded = [...files].some((f) => needed.has(f)) || (target !== undefined && [...needed].some((f) => f.endsWith(`/${target}`)));
    return { ...c.piece, include: { files: [...files].sort(), needed: isNeeded, dropped: false } };
  });
}
