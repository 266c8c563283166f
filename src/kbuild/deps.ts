import { readFileSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";

/** A file a cached answer depends on, with its mtime (ms) and size then. */
export type StampedDep = [path: string, mtimeMs: number, size: number];

/** The files of a make-style dependency list (`x.o: a.c b.h \` ...), but `compiled` itself; undefined when unreadable. */
export function readDeps(depFile: string, cwd: string, compiled: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(depFile, "utf8");
  } catch {
    return undefined;
  }
  const body = text.replace(/\\\n/g, " ").replace(/^[^:]*:/, "");
  const files = body.split(/(?<!\\)\s+/).filter(Boolean).map((f) => f.replace(/\\ /g, " "));
  return [...new Set(files.map((f) => (isAbsolute(f) ? f : resolve(cwd, f))))].filter((f) => f !== compiled);
}

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
