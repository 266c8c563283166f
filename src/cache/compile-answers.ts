import type { CacheDir } from "../model/cache.js";
import { depsUnchanged, stampDeps, type StampedDep, type StatMemo } from "./file-stamps.js";
import { discardEntry, readEntry, writeEntry } from "./cache-files.js";

/**
 * Kept compiler answers (the #include check, the whole-module compile, the
 * equivalence verdict), ccache direct-mode style: an answer is stored under a
 * key made of everything that was compiled, with the files gcc read (-MD) and
 * their mtime and size, and reused while none of them changed. Entries are
 * sealed (seal.ts) and checked for their shape; a damaged one is discarded.
 * `key`: cacheKey("includes", ...) of the command and text compiled.
 */

/** A kept answer: the result and the files the compile read, with what they were then. */
interface Entry<T> {
  result: T;
  /** [absolute path, mtimeMs, size] of every file gcc read. */
  deps: StampedDep[];
}

/** The kept answer for `key` whose files are unchanged; undefined otherwise (a malformed one is discarded). */
export function lookupAnswer<T>(cache: CacheDir, key: string, stats: StatMemo | undefined, isResult: (r: unknown) => r is T): T | undefined {
  const content = readEntry(cache, "includes", key, ".json");
  if (!content) return undefined;
  let entry: Partial<Entry<unknown>> | undefined;
  try {
    entry = JSON.parse(content.toString("utf8")) as Partial<Entry<unknown>>;
  } catch {
    entry = undefined;
  }
  const deps = entry?.deps;
  const okDeps = Array.isArray(deps) && deps.every((d) => Array.isArray(d) && d.length === 3 && typeof d[0] === "string" && typeof d[1] === "number" && typeof d[2] === "number");
  if (!entry || !okDeps || !isResult(entry.result)) {
    discardEntry(cache, "includes", key, ".json");
    return undefined;
  }
  return depsUnchanged(deps, stats) ? entry.result : undefined;
}

/** Best effort: a cache that cannot be written only costs the next run its compile. */
export function storeAnswer<T>(cache: CacheDir, key: string, result: T, files: string[] | undefined): void {
  if (!files) return;
  let deps: StampedDep[];
  try {
    deps = stampDeps(files);
  } catch {
    return; // a dependency that cannot be read: keep nothing
  }
  writeEntry(cache, "includes", key, ".json", JSON.stringify({ result, deps } satisfies Entry<T>));
}

/** Shape checks shared by the answers' validators. */
export const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");
