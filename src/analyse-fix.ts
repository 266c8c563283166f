import type { LivepatchPlan } from "./model/plan.js";
import { partKeys, type TuPart } from "./model/livepatch-set.js";
import { analyseTu, type AnalyseOptions } from "./analyse-tu.js";
import { analyseHeaderUsers, headerParts, type HeaderFix } from "./header-fix.js";
import { analyseInPool, headerUsersInPool, type MergeInto } from "./parallel.js";
import type { TuPool } from "./tu-pool.js";
import type { StartedPreprocess } from "./start-preprocess.js";
import { timedAsync } from "./timings.js";

export interface FixTusOptions {
  /** What every TU's analysis gets (the squashed fix, the tables, the sink ...); name is the module's. */
  common: Omit<AnalyseOptions, "preprocessing" | "headerChanges" | "overlay">;
  /** The fix's .c files (tuFilesOf), in patch order. */
  relPaths: string[];
  headerFix: HeaderFix | undefined;
  title: string;
  /** The .c files' preprocessing started in this thread (no pool when the fix began). */
  started: Map<string, StartedPreprocess>;
  /** The pool the .c files were started in, if any; `open` makes one for the header's users. */
  pool: TuPool | undefined;
  open: (tus: number) => TuPool | undefined;
  merge: MergeInto;
}

/**
 * Every TU of a fix analysed: the .c files it changes (in patch order, each
 * with the fix's changed header inlines it runs), then the other TUs that
 * include a changed header (their order). On the pool's threads where it is
 * open; the parts are those of a run one TU after the other. Returns the pool
 * it opened for the header's users, for the compile checks.
 */
export async function analyseFixTus(o: FixTusOptions): Promise<{ parts: TuPart[]; pool: TuPool | undefined }> {
  const { relPaths, headerFix, common } = o;
  const name = common.name;
  const keys = partKeys(relPaths);
  const names = relPaths.map((_, i) => (relPaths.length > 1 ? `${name}_${keys[i]!}` : name));
  const extra = headerFix ? { overlay: headerFix.overlay, headerChanges: headerFix.changed } : {};
  let plans: LivepatchPlan[] = [];
  if (o.pool && relPaths.length > 1) plans = await analyseInPool(o.pool, { ...o.merge, patch: common.patch, relPaths, names, headerFix });
  else {
    // One TU (or --jobs 1): in this thread, its compiler already started.
    for (const [i, relPath] of relPaths.entries()) {
      const started = o.started.get(relPath);
      // The kept headers, read ahead meanwhile.
      if (started) await timedAsync(common.timer, "start preprocess", () => started.ready());
      const inputs = { ...common, ...extra, relPath, name: names[i]! };
      plans.push(analyseTu({ ...inputs, ...(started ? { preprocessing: () => started.wait(inputs) } : {}) }));
    }
  }
  const own = plans.map((plan, i) => ({ relPath: relPaths[i]!, plan }));
  if (!headerFix) return { parts: own.map((p, i) => ({ relPath: p.relPath, key: keys[i]!, plan: p.plan })), pool: o.pool };
  const fix = { ...headerFix, users: headerFix.users.filter((u) => !relPaths.includes(u)) };
  const pool = o.pool ?? (fix.users.length > 0 ? o.open(fix.users.length) : undefined);
  const progress = common.progress;
  if (pool) return { parts: await headerUsersInPool(pool, { ...o.merge, fix, name, title: o.title, before: own, ...(progress ? { progress } : {}) }), pool };
  return { parts: fix.users.length > 0 ? analyseHeaderUsers({ ...common, fix, title: o.title, before: own }) : headerParts({ fix, name, sink: common.sink }, [], own), pool };
}
