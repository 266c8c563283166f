import { statSync } from "node:fs";

/** A file a cached answer depends on, with its mtime (ms) and size then. */
export type StampedDep = [path: string, mtimeMs: number, size: number];

/** The files with their mtime and size now (throws when one cannot be read: the caller keeps nothing). */
export function stampDeps(files: string[]): StampedDep[] {
  return files.map((f) => {
    const st = statSync(f);
    return [f, st.mtimeMs, st.size];
  });
}

/**
 * Stats taken once in a run: a run asks about the same headers twice (the
 * header cache, then the include check's cache: ~1000 files each).
 */
export type StatMemo = Map<string, { mtimeMs: number; size: number } | undefined>;

/** True while none of the files changed (ccache's direct mode: mtime and size). `stats`: what this run has stat'ed already. */
export function depsUnchanged(deps: StampedDep[], stats: StatMemo = new Map()): boolean {
  for (const [path, mtime, size] of deps) {
    let st = stats.get(path);
    if (!stats.has(path)) {
      const now = statSync(path, { throwIfNoEntry: false });
      st = now ? { mtimeMs: now.mtimeMs, size: now.size } : undefined;
      stats.set(path, st);
    }
    if (!st || st.mtimeMs !== mtime || st.size !== size) return false;
  }
  return true;
}
