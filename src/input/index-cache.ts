import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import type { CacheDir } from "../model/cache.js";
import { readSealed, writeSealed } from "../cache/cache-files.js";
import { decodeInt32Blob, encodeInt32Blob } from "../util/int32-blob.js";
import { validKeyIndex } from "./byte-key-index.js";

/**
 * A table file's index (typed arrays and a little JSON), kept on disk between
 * runs: indexing kallsyms and Module.symvers costs ~80 ms per run before the
 * JIT warms up, reading the arrays back ~3 ms. An entry is keyed by the
 * file's path and is valid only for the same size, mtime and inode; it is
 * sealed with a checksum (cache/seal.ts) and every number in it is checked
 * to point inside the table before it is used (`valid`), so that a damaged
 * entry is discarded rather than trusted. Any trouble reading it means "no entry".
 */
export interface CachedIndex {
  meta: unknown;
  /** A ByteKeyIndex's arrays (slots, key starts, key ends), then the reader's own. */
  arrays: Int32Array[];
}

/** Where a reader may find the index of its table: the cache directory and the table's stamp. */
export interface IndexCacheRef {
  dir: CacheDir | undefined;
  /** fileStamp() of the table, taken before it was read. */
  stamp: string;
  /** The entry's bytes when they were read ahead (indexEntryPath()); else the entry is read now. */
  entry?: Buffer | undefined;
}

const VERSION = 2;

/**
 * The entry for `file` if it was made from the file as `stamp` (fileStamp()
 * before reading it) says it is, and its index lies inside `table` (the
 * file's bytes): the key index's part is checked here, the reader's own
 * arrays and meta by `valid`. `entry`: its bytes, read ahead.
 */
export function loadIndex(cache: CacheDir | undefined, kind: string, file: string, stamp: string, table: Buffer, valid: (index: CachedIndex, count: number) => boolean, entry?: Buffer): CachedIndex | undefined {
  if (!cache) return undefined;
  const content = readSealed(cache, indexEntryPath(kind, file), entry);
  if (!content) return undefined;
  try {
    const { header, arrays } = decodeInt32Blob<{ version: number; stamp: string; count: number; meta: unknown }>(content);
    if (header.version !== VERSION || header.stamp !== stamp) return undefined;
    const index = { meta: header.meta, arrays };
    if (validKeyIndex(table, arrays, header.count) && valid(index, header.count)) return index;
  } catch {
    // malformed though sealed: an entry of a broken writer
  }
  return undefined;
}

/** Keeps the index of `file` (`count` keys), made from its content as `stamp` says it was. */
export function storeIndex(cache: CacheDir | undefined, kind: string, file: string, stamp: string, count: number, index: CachedIndex): void {
  if (cache) writeSealed(cache, indexEntryPath(kind, file), encodeInt32Blob({ version: VERSION, stamp, count, meta: index.meta }, index.arrays));
}

/** The entry (relative to the cache directory) that keeps the index of `file`. */
export function indexEntryPath(kind: string, file: string): string {
  return `index/${kind}-${createHash("sha1").update(file).digest("hex").slice(0, 16)}.bin`;
}

/** What must not have changed for an entry to hold; taken before the file is read, so that a change while reading shows. */
export function fileStamp(file: string): string {
  try {
    const st = statSync(file);
    return `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return "";
  }
}

/** True when every number of `a` (its first `n`) lies in [lo, hi). */
export function allWithin(a: Int32Array | undefined, n: number, lo: number, hi: number): boolean {
  if (!a || a.length < n) return false;
  for (let i = 0; i < n; i++) if (a[i]! < lo || a[i]! >= hi) return false;
  return true;
}

/** True when the first `n` numbers of `a` are each the start of a line of `bytes`. */
export function allLineStarts(bytes: Buffer, a: Int32Array | undefined, n: number): boolean {
  if (!allWithin(a, n, 0, bytes.length)) return false;
  for (let i = 0; i < n; i++) if (a![i]! > 0 && bytes[a![i]! - 1] !== 10) return false;
  return true;
}
