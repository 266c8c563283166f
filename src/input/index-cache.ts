import { statSync } from "node:fs";
import type { CacheDir } from "../model/cache.js";
import { readEntry, writeEntry } from "../cache/cache-files.js";
import { cacheKey, entryName } from "../cache/layout.js";
import { decodeInt32Blob, encodeInt32Blob } from "../util/int32-blob.js";
import { validKeyIndex } from "./byte-key-index.js";

/**
 * A table file's index (typed arrays and a little JSON), kept on disk between
 * runs: indexing kallsyms and Module.symvers costs ~80 ms per run before the
 * JIT warms up, reading the arrays back ~3 ms. An entry is keyed by the
 * file's path and is valid only for the same size, mtime and inode; it is
 * sealed with a checksum (cache/seal.ts), so that a damaged entry is
 * discarded rather than trusted; its shape is checked here (`valid`), and
 * each number it holds where a lookup reads it (ByteKeyIndex.find(), the
 * readers' line starts), so that a lookup never runs away or out of the
 * table. Any trouble reading it means "no entry".
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

/**
 * The entry for `file` if it was made from the file as `stamp` (fileStamp()
 * before reading it) says it is, and has the shape of an index: the key
 * index's part is checked here, the reader's own arrays and meta by `valid`.
 * `entry`: its bytes, read ahead.
 */
export function loadIndex(cache: CacheDir | undefined, kind: string, file: string, stamp: string, valid: (index: CachedIndex, count: number) => boolean, entry?: Buffer): CachedIndex | undefined {
  if (!cache) return undefined;
  const content = readEntry(cache, "index", indexKey(kind, file), ".bin", entry);
  if (!content) return undefined;
  try {
    const { header, arrays } = decodeInt32Blob<{ stamp: string; count: number; meta: unknown }>(content);
    if (header.stamp !== stamp) return undefined;
    const index = { meta: header.meta, arrays };
    if (validKeyIndex(arrays, header.count) && valid(index, header.count)) return index;
  } catch {
    // malformed though sealed: an entry of a broken writer
  }
  return undefined;
}

/** Keeps the index of `file` (`count` keys), made from its content as `stamp` says it was. */
export function storeIndex(cache: CacheDir | undefined, kind: string, file: string, stamp: string, count: number, index: CachedIndex): void {
  if (cache) writeEntry(cache, "index", indexKey(kind, file), ".bin", encodeInt32Blob({ stamp, count, meta: index.meta }, index.arrays));
}

/** The entry (relative to the cache directory) that keeps the index of `file`: one per table file, replaced when the file changes. */
export function indexEntryPath(kind: string, file: string): string {
  return entryName("index", indexKey(kind, file), ".bin");
}

const indexKey = (kind: string, file: string) => `${kind}-${cacheKey("index", kind, file)}`;

/** What must not have changed for an entry to hold; taken before the file is read, so that a change while reading shows. */
export function fileStamp(file: string): string {
  try {
    const st = statSync(file);
    return `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return "";
  }
}

/** The line start `a[id]` when it is one of `bytes` (a kept index's number, checked as it is read); else -1. */
export function keptLineStart(bytes: Buffer, a: Int32Array, id: number): number {
  const at = a[id];
  return at !== undefined && at >= 0 && at < bytes.length && (at === 0 || bytes[at - 1] === 10) ? at : -1;
}
