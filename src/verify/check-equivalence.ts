import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { OriginalFunction } from "../model/plan.js";
import { functionDefinitions, tokenizePreprocessed, type CToken } from "../parse/c-tokens.js";
import { firstDifference, type Rewrites } from "./equivalence.js";

export interface EquivalenceOptions {
  /** The livepatch's own part of its preprocessed text (ModuleCompile.preprocessed). */
  preprocessed: string;
  /** The livepatch's file name, as its line markers and `__FILE__` name it. */
  fileName: string;
  /** The functions of the TU the livepatch copies, as the kernel compiled them. */
  originals: OriginalFunction[];
  /** Functions of the TU the livepatch must define (as X, klpp_X or klpr_X): one missing is a difference too. */
  expected: string[];
  /**
   * The same functions as a module build of the TU has them (-DMODULE), asked
   * for (once) only when a function differs: kernel headers expand some
   * macros differently in a module (static_call_mod, THIS_MODULE), which the
   * livepatch, a module, cannot help. Undefined: no second look.
   */
  asModule?: () => OriginalFunction[];
  /** The rewrites besides the renames: see Rewrites. */
  rewrites: Omit<Rewrites, "name" | "moduleFile">;
  sink: DiagnosticSink;
}

/** How many of the livepatch's copies were compared, and how many are the same as their original. */
export interface EquivalenceCount {
  compared: number;
  identical: number;
}

/**
 * The equivalence check: every function the livepatch defines that stands
 * for a function of the TU (klpp_X, klpr_X, or a copy under its own name)
 * has the original's token sequence, but for the documented rewrites
 * (equivalence.ts). A difference is KLP-E043, which --force cannot accept.
 */
export function checkEquivalence(o: EquivalenceOptions): EquivalenceCount {
  const originals = new Map(o.originals.map((f) => [f.name, f]));
  const defined = new Set<string>();
  const count = { compared: 0, identical: 0 };
  let moduleOriginals: Map<string, OriginalFunction> | undefined;
  const tokens = tokenizePreprocessed(o.preprocessed, { file: o.fileName, line: 1 });
  for (const def of functionDefinitions(tokens)) {
    const name = def.name;
    const original = originals.get(name) ?? (/^klp[pr]_/.test(name) ? originals.get(name.slice(5)) : undefined);
    defined.add(name);
    if (!original) continue;
    count.compared++;
    const mine = tokens.slice(def.start, def.end);
    const compare = (f: OriginalFunction) => {
      const theirs = tokenizePreprocessed(f.text, { file: f.markerFile, line: f.line });
      return { theirs, diff: firstDifference(mine, theirs, { ...o.rewrites, name: f.name, moduleFile: JSON.stringify(o.fileName) }) };
    };
    let { theirs, diff } = compare(original);
    const asModule = diff && o.asModule ? (moduleOriginals ??= new Map(o.asModule().map((f) => [f.name, f]))).get(original.name) : undefined;
    if (asModule) ({ theirs, diff } = compare(asModule));
    if (!diff) {
      count.identical++;
      continue;
    }
    const a = mine[Math.min(diff.moduleAt, mine.length - 1)];
    const b = theirs[Math.min(diff.originalAt, theirs.length - 1)];
    const where = (t: CToken | undefined, f: OriginalFunction | undefined) => (t ? `${f && t.file === f.markerFile ? f.file : t.file}:${t.line}` : "?");
    o.sink.report({
      code: "KLP-E043",
      severity: "error",
      message: `${name} does not mean what ${original.name} means in the kernel: preprocessed, ${o.fileName} has ${excerpt(mine, diff.moduleAt, b?.text)} (${where(a, undefined)}) where ${original.file} has ${excerpt(theirs, diff.originalAt, a?.text)} (${where(b, original)})`,
      location: { file: b ? (b.file === original.markerFile ? original.file : b.file) : original.file, line: b?.line ?? original.line, column: 0 },
      hint: "klp-ccp copied the function with a different macro, type or declaration in force: please report it with the patch; write this function by hand until then (--force cannot accept this)",
    });
  }
  for (const name of o.expected) {
    if (defined.has(name) || defined.has(`klpp_${name}`) || defined.has(`klpr_${name}`)) continue;
    count.compared++;
    o.sink.report({ code: "KLP-E043", severity: "error", message: `the livepatch has no definition of ${name} after preprocessing (an #if around it, or a macro that renamed it)`, location: { file: o.fileName, line: 0, column: 0 }, hint: "please report it with the patch (--force cannot accept this)" });
  }
  return count;
}

/** A few tokens from `at`, quoted; `(end)` when the function ends there. A long token that differs from `other` late shows around the difference. */
function excerpt(tokens: CToken[], at: number, other?: string): string {
  if (at >= tokens.length) return "(end of function)";
  const first = tokens[at]!.text;
  if (first.length > 60 && other !== undefined) {
    let k = 0;
    while (k < first.length && first[k] === other[k]) k++;
    if (k > 30) return `\`...${first.slice(k - 20, k + 40)}...\``;
  }
  // A token can be long (a stringized statement): the start of each is enough to see the difference.
  return `\`${tokens.slice(at, at + 6).map((t) => (t.text.length > 60 ? `${t.text.slice(0, 57)}...` : t.text)).join(" ")}\``;
}
