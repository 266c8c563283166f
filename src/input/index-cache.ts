import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { decodeInt32Blob, encodeInt32Blob } from "../util/int32-blob.js";
import { writeWhole } from "../util/write-whole.js";

/**
 * A table file's index (typed arrays and a little JSON), kept on disk between
 * runs: indexing kallsyms and Module.symvers costs ~80 ms per run before the
 * JIT warms up, reading the arrays back ~3 ms. An entry is keyed by the
 * file's path and is valid only for the same size, mtime and inode; it is
 * written under a temporary name and renamed, so a reader never sees half of
 * one. Any trouble reading it means "no entry".
 */
export interface CachedIndex {
  meta: unknown;
  arrays: Int32Array[];
}

/** Where a reader may find the index of its table: the cache directory and the table's stamp. */
export interface IndexCacheRef {
  dir: string | undefined;
  /** fileStamp() of the table, taken before it was read. */
  stamp: string;
  /** The entry's bytes when they were read ahead (indexEntryPath()); else the entry is read now. */
  entry?: Buffer | undefined;
}

const VERSION = 1;

/** The entry for `file` if it was made from the file as `stamp` (fileStamp() before reading it) says it is; `entry`: its bytes, read ahead. */
export function loadIndex(cacheDir: string | undefined, kind: string, file: string, stamp: string, entry?: Buffer): CachedIndex | undefined {
  if (!cacheDir) return undefined;
  try {
    const { header, arrays } = decodeInt32Blob<{ version: number; stamp: string; meta: unknown }>(entry ?? readFileSync(indexEntryPath(cacheDir, kind, file)));
    if (header.version !== VERSION || header.stamp !== stamp) return undefined;
    return { meta: header.meta, arrays };
  } catch {
    return undefined;
  }
}

/** Keeps the index of `file`, made from its content as `stamp` says it was. */
export function storeIndex(cacheDir: string | undefined, kind: string, file: string, stamp: string, index: CachedIndex): void {
  if (!cacheDir) return;
  try {
    writeWhole(indexEntryPath(cacheDir, kind, file), encodeInt32Blob({ version: VERSION, stamp, meta: index.meta }, index.arrays));
  } catch {
    // A cache that cannot be written is only slower.
  }
}

/** The file that keeps the index of `file`. */
export function indexEntryPath(cacheDir: string, kind: string, file: string): string {
  return join(cacheDir, "index", `${kind}-${createHash("sha1").update(file).digest("hex").slice(0, 16)}.bin`);
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
