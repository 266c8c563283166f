import { createHash } from "node:crypto";

/**
 * The one layout of --cache-dir: <dir>/<CACHE_LAYOUT>/<kind>/<key><suffix>,
 * one directory per kind of entry, each entry named by cacheKey(). Bump a
 * kind's version when what its entries hold changes: an older entry is then
 * never found again, and the size bound (evict.ts) removes it in time. Bump
 * CACHE_LAYOUT only when this layout itself changes.
 *
 * What each kind buys, measured on warm runs of the bench's four TUs and
 * fixes (scripts/bench.mjs: cmdline, fork, memory, tcp_input; Debian 6.1 test
 * bed): the CPU time (user+sys, gcc included) a run takes more when that
 * kind's entries are not read, median of 3 runs each (the shared machine's
 * wall times were too noisy to tell). Every kind pays; none was dropped.
 */
export const CACHE_KINDS = {
  /**
   * The compiler's answers (kbuild/trial-compile.ts, kbuild/module-compile.ts,
   * verify/verify-module.ts): the `#include` check and the whole-module
   * compile, kept with gcc's list of the files it read, and the equivalence
   * verdict (the verdict alone: ~0.03 s on tcp_input). Buys the most:
   * +0.32 / +0.57 / +0.46 / +0.78 s without it.
   */
  includes: { version: 1 },
  /**
   * A TU's preprocessed headers with their scan and PCH
   * (kbuild/header-cache.ts), at 40-150 MB an entry: +0.22 / +0.45 / +0.44 /
   * +0.58 s without it.
   */
  headers: { version: 3 },
  /** The symbol tables' indexes (input/index-cache.ts), ~8 MB: +0.09 / +0.13 / +0.15 / +0.18 s without it. */
  index: { version: 2 },
  /** Outlines of parsed source files (input/outline-store.ts), a few MB: +0.01 / +0.06 / +0.12 / +0.07 s without it (cmdline.c's few small files parse fast anyway). */
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
