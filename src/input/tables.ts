import { readFileSync, statSync } from "node:fs";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { CacheDir } from "../model/cache.js";
import { cachePath } from "../cache/cache-files.js";
import { fileStamp, indexEntryPath, type IndexCacheRef } from "./index-cache.js";
import { readAhead } from "../util/read-ahead.js";

/**
 * Reads a symbol table file with its reader, through the index cache when there is one
 * and the file is one the cache can key on (see readTableAhead).
 */
export function readTable<T>(file: string, reader: (file: string, bytes: Buffer, sink: DiagnosticSink, cache: IndexCacheRef) => T, sink: DiagnosticSink, cacheDir: CacheDir | undefined, ahead?: TableRead): T {
  const stamp = ahead?.stamp ?? fileStamp(file); // before reading: a change while it is read must not be kept as valid
  const bytes = ahead?.bytes ?? readFileSync(file);
  const keyable = ahead !== undefined && ahead.keyable && ahead.size === bytes.length;
  return reader(file, bytes, sink, { dir: keyable ? cacheDir : undefined, stamp, entry: ahead?.entry });
}

/** A symbol table and its index entry as read ahead, with the table's stamp from before. */
export interface TableRead {
  stamp: string;
  bytes: Buffer | undefined;
  entry: Buffer | undefined;
  /** Whether the index cache may key on the stamp: a regular file; not /proc/kallsyms or a pipe, whose size and mtime do not follow their content. */
  keyable: boolean;
  /** The size stat gave before reading: a file read to a different length (procfs says 0) is not keyable either. */
  size: number;
}

/** Reads a table and its index entry on the thread pool; both reads start, and the stamp is taken, before the first await. */
export async function readTableAhead(file: string, kind: string, cache: CacheDir | undefined): Promise<TableRead> {
  const stamp = fileStamp(file);
  let keyable = false;
  let size = -1;
  try {
    const st = statSync(file);
    keyable = st.isFile() && st.size > 0;
    size = st.size;
  } catch {
    // read below, which reports why
  }
  const bytes = readAhead(file);
  const entryPath = cache && keyable && cachePath(cache, indexEntryPath(kind, file));
  const entry = entryPath ? readAhead(entryPath, true) : undefined;
  return { stamp, bytes: await bytes, entry: await entry, keyable, size };
}
