import { closeSync, constants, fstatSync, futimesSync, lstatSync, mkdirSync, openSync, readFileSync, rmSync, type Stats } from "node:fs";
import { dirname, join, relative } from "node:path";
import type { CacheDir } from "../model/cache.js";
import { writeWhole } from "../util/write-whole.js";
import { seal, unseal } from "./seal.js";
import { entryName, type CacheKind } from "./layout.js";

/**
 * Reading and writing entries under a checked cache directory: nothing in it
 * is followed through a symlink (directories are lstat'ed, files opened with
 * O_NOFOLLOW), nothing another user owns or could write is used, and an
 * entry whose checksum fails is removed and noted in `cache.discarded`.
 */

/** The path of `rel` under the cache, its directories checked (made when missing); undefined when they cannot be used. */
export function cachePath(cache: CacheDir, rel: string): string | undefined {
  const dir = dirname(rel);
  if (dir !== "." && !cache.checkedDirs.has(dir)) {
    let at = cache.root;
    for (const part of dir.split("/")) {
      at = join(at, part);
      if (!ownDirectory(cache, at)) return undefined;
    }
    cache.checkedDirs.add(dir);
  }
  return join(cache.root, rel);
}

/** True for a directory or file of the user's own that no one else can write. */
export function ownedSafely(st: Stats): boolean {
  const uid = process.getuid?.();
  return (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0;
}

/** Makes sure `path` is a real directory of the user's own: anything else there (a symlink, a file, another user's directory) is removed first. */
function ownDirectory(cache: CacheDir, path: string): boolean {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st?.isDirectory() && !st.isSymbolicLink() && ownedSafely(st)) return true;
  try {
    if (st) discard(cache, path);
    mkdirSync(path, { mode: 0o700 });
  } catch {
    // Another run made it meanwhile, or the cache is read-only.
  }
  const now = lstatSync(path, { throwIfNoEntry: false });
  return Boolean(now?.isDirectory() && ownedSafely(now));
}

/** An entry read this long after its mtime gets a new one: the size bound (evict.ts) removes the least recently used first. */
const TOUCH_AFTER_MS = 60_000;

/**
 * The bytes of a cache file, not following a symlink; undefined when there is
 * none. A symlink or anything but a regular file there is discarded. Reading
 * it marks it used (its mtime), for the size bound.
 */
export function readCacheFile(cache: CacheDir, path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ELOOP") discard(cache, path);
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      discard(cache, path);
      return undefined;
    }
    if (Date.now() - st.mtimeMs > TOUCH_AFTER_MS) touch(fd);
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function touch(fd: number): void {
  const now = new Date();
  try {
    futimesSync(fd, now, now);
  } catch {
    // a read-only cache: no bound to keep either
  }
}

/** The entry `key` of `kind` (layout.ts): its sealed content, or undefined (see readSealed). */
export function readEntry(cache: CacheDir, kind: CacheKind, key: string, suffix: string, ahead?: Buffer): Buffer | undefined {
  return readSealed(cache, entryName(kind, key, suffix), ahead);
}

/** Keeps `content` sealed as the entry `key` of `kind`. */
export function writeEntry(cache: CacheDir, kind: CacheKind, key: string, suffix: string, content: string | Uint8Array): void {
  writeSealed(cache, entryName(kind, key, suffix), content);
}

/** Removes the entry `key` of `kind` (one whose content failed its checks) and notes it for the run's warning. */
export function discardEntry(cache: CacheDir, kind: CacheKind, key: string, suffix: string): void {
  const path = cachePath(cache, entryName(kind, key, suffix));
  if (path) discard(cache, path);
}

/**
 * The content of a sealed entry (seal.ts) at `rel`: `ahead` when its bytes
 * were read already, else read now. Undefined when there is none, or when it
 * fails its checksum (then it is discarded).
 */
export function readSealed(cache: CacheDir, rel: string, ahead?: Buffer): Buffer | undefined {
  const path = cachePath(cache, rel);
  if (!path) return undefined;
  const bytes = ahead ?? readCacheFile(cache, path);
  if (!bytes) return undefined;
  const content = unseal(bytes);
  if (!content) discard(cache, path);
  return content;
}

/** Keeps `content` sealed at `rel`, whole or not at all; a cache that cannot be written is only slower. */
export function writeSealed(cache: CacheDir, rel: string, content: string | Uint8Array): void {
  const path = cachePath(cache, rel);
  if (!path) return;
  try {
    writeWhole(path, seal(content));
    cache.wrote = true;
  } catch {
    // read-only or full: keep nothing
  }
}

/** Removes an entry (file or directory; a symlink itself, never what it points to) that cannot be trusted, and notes it for the run's warning. */
export function discard(cache: CacheDir, path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // The next run finds it again, and discards it again.
  }
  const rel = relative(cache.root, path);
  if (!cache.discarded.includes(rel)) cache.discarded.push(rel);
}
