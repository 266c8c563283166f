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

/** True while none of the files changed (ccache's direct mode: mtime and size). */
export function depsUnchanged(deps: StampedDep[]): boolean {
  for (const [path, mtime, size] of deps) {
    try {
      const st = statSync(path);
      if (st.mtimeMs !== mtime || st.size !== size) return false;
    } catch {
      return false;
    }
  }
  return true;
}
