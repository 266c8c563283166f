import { StageFailed, type DiagnosticSink } from "./diagnostics/diagnostic.js";
import type { PatchSet } from "./model/input.js";
import type { LivepatchPlan } from "./model/plan.js";
import type { CacheDir } from "./model/cache.js";
import type { LivepatchSet, TuPart } from "./model/livepatch-set.js";
import { headerParts, type HeaderFix } from "./header-fix.js";
import type { TuPool } from "./tu-pool.js";
import type { JobResult } from "./tu-worker.js";
import type { StageTimer } from "./timings.js";

/** Where the results of the pool's jobs go, as a run in one thread would have put them. */
export interface MergeInto {
  sink: DiagnosticSink;
  timer?: StageTimer | undefined;
  cache?: CacheDir | undefined;
}

/**
 * One job's result, merged as if its work had run here: its diagnostics into
 * the sink, its stage times into the timer, its damaged cache entries into
 * the cache's list; a failure throws as the job would have. The plan gets the
 * run's diagnostics, which every plan of a one-thread run shares.
 */
export function mergeResult(r: JobResult, into: MergeInto): LivepatchPlan | undefined {
  for (const d of r.diagnostics) into.sink.report(d);
  for (const [stage, ms] of r.timings) into.timer?.(stage, ms);
  if (into.cache) for (const d of r.discarded) if (!into.cache.discarded.includes(d)) into.cache.discarded.push(d);
  if (into.cache && r.wroteCache) into.cache.wrote = true;
  if (r.failed) throw new StageFailed(r.failed);
  if (r.error) throw Object.assign(new Error(r.error.message), r.error);
  if (r.plan) r.plan.diagnostics = into.sink.items;
  return r.plan;
}

/**
 * The TUs of a fix, analysed on the pool's workers (each TU on the worker that
 * started its preprocessing); merged in the fix's order, so a failure stops
 * at the first TU that fails, with the diagnostics of those before it.
 */
export async function analyseInPool(pool: TuPool, o: MergeInto & { patch: PatchSet; relPaths: string[]; names: string[]; headerFix?: HeaderFix | undefined }): Promise<LivepatchPlan[]> {
  const results = o.relPaths.map((relPath, i) => pool.run({ kind: "patch", relPath, name: o.names[i]!, patch: o.patch, ...(o.headerFix ? { headerFix: o.headerFix } : {}) }));
  const plans: LivepatchPlan[] = [];
  for (const r of results) plans.push(mergeResult(await r, o)!);
  return plans;
}

/**
 * A header fix's users on the pool's workers, as many at once as there are
 * workers; progress says how many are done. Merged in the users' order.
 */
export async function headerUsersInPool(pool: TuPool, o: MergeInto & { fix: HeaderFix; name: string; title: string; progress?: (m: string) => void; before?: Array<{ relPath: string; plan: LivepatchPlan }> }): Promise<TuPart[]> {
  const n = o.fix.users.length;
  let done = 0;
  const results = o.fix.users.map((relPath) =>
    pool.run({ kind: "header", relPath, name: o.name, title: o.title, fix: o.fix }).then((r) => {
      o.progress?.(`header fix: ${++done} of ${n} TUs done (${relPath})`);
      return r;
    }),
  );
  const plans: Array<LivepatchPlan | undefined> = [];
  for (const r of results) plans.push(mergeResult(await r, o));
  return headerParts({ fix: o.fix, name: o.name, sink: o.sink }, plans, o.before);
}

/**
 * The compile checks of a livepatch's parts (and of NAME_main.c) on the
 * pool's workers; each part's plan is replaced by the one its check left
 * (an #include it dropped). Merged in the parts' order, NAME_main.c last.
 */
export async function checkSetInPool(pool: TuPool, set: LivepatchSet, o: MergeInto & { verify: boolean }): Promise<void> {
  const jobs = set.parts.map((_, i) => pool.run({ kind: "check", set, part: i, verify: o.verify }));
  const main = o.verify ? pool.run({ kind: "check", set, part: -1, verify: true }) : undefined;
  for (const [i, r] of jobs.entries()) {
    const plan = mergeResult(await r, o);
    if (plan) set.parts[i] = { ...set.parts[i]!, plan };
  }
  if (main) mergeResult(await main, o);
}
