import { readFileSync, statSync } from "node:fs";
import type { DiagnosticSink } from "./diagnostics/diagnostic.js";
import type { ExportTable, SymbolTable } from "./model/input.js";
import type { CacheDir } from "./model/cache.js";
import { cachePath } from "./cache/cache-files.js";
import { fileStamp, indexEntryPath, type IndexCacheRef } from "./input/index-cache.js";
import { readSymbolTable } from "./input/kallsyms.js";
import { readSymvers } from "./input/symvers.js";
import { readAhead } from "./util/read-ahead.js";

/** The running kernel's symbol table and its Module.symvers. */
export interface Tables {
  symbols: SymbolTable;
  exports: ExportTable;
}

/** The symbol tables' bytes and index entries, read on the thread pool from the start of the run (readTablesAhead). */
export type TablesAhead = Promise<[TableRead, TableRead]>;

/** Starts reading --symbols and --symvers (and their index entries in the cache) on the thread pool. */
export function readTablesAhead(o: { symbols: string; symvers: string; cache: CacheDir | undefined }): TablesAhead {
  return Promise.all([readTableAhead(o.symbols, "kallsyms", o.cache), readTableAhead(o.symvers, "symvers", o.cache)]);
}

/** The tables pass: both tables read (through the index cache where it can key on them); a malformed line is reported. */
export function readTables(o: { symbols: string; symvers: string; cache: CacheDir | undefined; ahead: [TableRead, TableRead]; sink: DiagnosticSink }): Tables {
  const [symbolsAhead, symversAhead] = o.ahead;
  return { symbols: readTable(o.symbols, readSymbolTable, o.sink, o.cache, symbolsAhead), exports: readTable(o.symvers, readSymvers, o.sink, o.cache, symversAhead) };
}

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
async function readTableAhead(file: string, kind: string, cache: CacheDir | undefined): Promise<TableRead> {
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
