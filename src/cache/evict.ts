import { lstatSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { CacheDir } from "../model/cache.js";
import { CACHE_KINDS, type CacheKind } from "./layout.js";

/** A `.building` directory (a header entry whose PCH a detached gcc builds) older than this was left by a build that died. */
export const STALE_BUILD_MS = 10 * 60_000;

/** One entry as the bound sees it: a file, or a directory of files (a header entry). */
interface Sized {
  path: string;
  bytes: number;
  /** When it was last used: the newest mtime in it (reads mark entries, cache-files.ts). */
  usedMs: number;
}

/**
 * Keeps the entries under `cache.maxBytes` (--cache-size): the least recently
 * used go first, whatever their kind (a TU's headers are 40-100 MB, an
 * answer of the compiler a few KB). Run once after a run that wrote
 * something; a PCH still being built is counted by the next run that writes.
 * Also removes the building directories a dead run left. Best effort: what
 * cannot be removed stays. Returns the entries removed (relative to the
 * layout directory), oldest first.
 */
export function evictLeastRecent(cache: CacheDir, now = Date.now()): string[] {
  const entries: Sized[] = [];
  for (const kind of Object.keys(CACHE_KINDS) as CacheKind[]) entries.push(...entriesOf(join(cache.root, kind), now));
  const removed: string[] = [];
  if (cache.maxBytes === undefined) return removed;
  let total = entries.reduce((n, e) => n + e.bytes, 0);
  entries.sort((a, b) => a.usedMs - b.usedMs);
  for (const e of entries) {
    if (total <= cache.maxBytes) break;
    try {
      rmSync(e.path, { recursive: true, force: true });
      total -= e.bytes;
      removed.push(e.path.slice(cache.root.length + 1));
    } catch {
      // another run's, or read-only: it stays
    }
  }
  return removed;
}

function entriesOf(dir: string, now: number): Sized[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: Sized[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st) continue;
    if (!st.isDirectory()) {
      out.push({ path, bytes: st.size, usedMs: st.mtimeMs });
      continue;
    }
    if (name.endsWith(".building")) {
      if (now - st.mtimeMs >= STALE_BUILD_MS) rmSync(path, { recursive: true, force: true });
      continue;
    }
    let bytes = 0;
    let usedMs = st.mtimeMs;
    for (const f of safeReaddir(path)) {
      const fst = lstatSync(join(path, f), { throwIfNoEntry: false });
      if (!fst) continue;
      bytes += fst.size;
      usedMs = Math.max(usedMs, fst.mtimeMs);
    }
    out.push({ path, bytes, usedMs });
  }
  return out;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
