import type { DiagnosticSink } from "./diagnostics/diagnostic.js";
import type { ExportTable, SymbolTable } from "./model/input.js";
import type { CacheDir } from "./model/cache.js";
import { readSymbolTable } from "./input/kallsyms.js";
import { readSymvers } from "./input/symvers.js";
import { readTable, readTableAhead, type TableRead } from "./input/tables.js";

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
