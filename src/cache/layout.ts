import { createHash } from "node:crypto";

/**
 * The one layout of --cache-dir: <dir>/<CACHE_LAYOUT>/<kind>/<key><suffix>,
 * one directory per kind of entry, each entry named by cacheKey(). Bump a
 * kind's version when what its entries hold changes: an older entry is then
 * never found again, and the size bound (evict.ts) removes it in time. Bump
 * CACHE_LAYOUT only when this layout itself changes.
 *
 * What each kind buys, measured on warm runs of `npm run bench` (Debian 6.1
 * test bed, 2 cores; the same run without that kind, medians of 3-5 runs):
 */
export const CACHE_KINDS = {
  /**
   * The compiler's answers (kbuild/trial-compile.ts, kbuild/module-compile.ts,
   * verify/verify-module.ts): the `#include` check and the whole-module
   * compile, kept with gcc's list of the files it read. Buys the most: the
   * compile it skips is 0.35-0.9 s per run.
   */
  includes: { version: 1 },
  /**
   * A TU's preprocessed headers with their scan and PCH
   * (kbuild/header-cache.ts): 0.1-0.25 s of `gcc -E` per run (tcp_input.c:
   * ~0.1 s of gcc instead of 0.42 s), at 40-100 MB an entry.
   */
  headers: { version: 3 },
  /** The symbol tables' indexes (input/index-cache.ts): indexing kallsyms and Module.symvers is ~80 ms, reading the index back ~3 ms. */
  index: { version: 2 },
  /** Outlines of parsed source files (input/outline-store.ts): a 6000-line .c parses in ~40 ms, its outline reads in ~1 ms. */
  sources: { version: 1 },
} as const;

export type CacheKind = keyof typeof CACHE_KINDS;

/** The layout's version: entries live in <dir>/v<N>/, so that another version's entries are never read (nor warned about). */
export const CACHE_LAYOUT = "v2";

/**
 * The name of the entry made from `parts` (everything it depends on that is
 * not checked when it is read), under `kind` at its version: 32 hex digits of
 * SHA-256 (128 bits: no two inputs meet by chance). A string part is hashed
 * as it is (a source file's text: no JSON escaping of 200 KB), after its
 * length, so that parts never run into each other.
 */
export function cacheKey(kind: CacheKind, ...parts: unknown[]): string {
  const hash = createHash("sha256").update(JSON.stringify([kind, CACHE_KINDS[kind].version]));
  for (const p of parts) {
    const text = typeof p === "string" ? p : JSON.stringify(p) ?? "undefined";
    hash.update(`${typeof p === "string" ? "s" : "j"}${text.length}:`).update(text);
  }
  return hash.digest("hex").slice(0, 32);
}

/** The entry's path relative to the layout directory. */
export function entryName(kind: CacheKind, key: string, suffix = ""): string {
  return `${kind}/${key}${suffix}`;
}
