import { mkdirSync, realpathSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { CacheDir } from "../model/cache.js";
import { cachePath, ownedSafely } from "./cache-files.js";
import { CACHE_LAYOUT } from "./layout.js";

/**
 * The run's cache directory, made (0700) when missing and checked the way
 * ssh checks a key's directory: it must be the user's own and writable by
 * no one else, since what it keeps goes into the livepatch (KLP-E038
 * otherwise). Its path is made absolute (and real) here, before any cache
 * hands it to a child process that runs elsewhere. Entries go into a
 * subdirectory per layout version (CACHE_LAYOUT). Undefined when it cannot be
 * made: the run goes on without a cache. `maxBytes`: the size bound
 * (--cache-size, evict.ts); undefined: none (the CLI always gives one).
 */
export function openCacheDir(path: string, sink: DiagnosticSink, maxBytes?: number): CacheDir | undefined {
  let root = resolve(path);
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    root = realpathSync(root);
  } catch {
    // Not made: a file there is an error below; no right to make it is a run without a cache.
  }
  const st = statSync(root, { throwIfNoEntry: false });
  if (!st) return undefined;
  const uid = process.getuid?.();
  const problem = !st.isDirectory()
    ? "is not a directory"
    : uid !== undefined && st.uid !== uid
      ? `is owned by uid ${st.uid}, not by you (uid ${uid})`
      : !ownedSafely(st)
        ? `is writable by ${st.mode & 0o020 ? "its group" : "others"} (mode ${(st.mode & 0o777).toString(8).padStart(4, "0")})`
        : undefined;
  if (problem) {
    sink.report({
      code: "KLP-E038",
      severity: "error",
      message: `--cache-dir ${root} ${problem}: what another user could write there would go into the livepatch`,
      location: { file: root, line: 0, column: 0 },
      hint: st.isDirectory() && (uid === undefined || st.uid === uid) ? `chmod go-w ${root}, or pass a --cache-dir of your own (or --no-cache)` : "pass a --cache-dir of your own (or --no-cache)",
    });
    return undefined;
  }
  const top: CacheDir = { root, discarded: [], checkedDirs: new Set(), maxBytes, wrote: false };
  const layout = cachePath(top, `${CACHE_LAYOUT}/-`);
  return layout ? { ...top, root: dirname(layout), checkedDirs: new Set() } : undefined;
}
