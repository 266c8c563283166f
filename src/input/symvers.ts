import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { ExportedSymbol, ExportTable } from "../model/input.js";
import { ByteKeyIndex, countLines, isBlankLine, lineText } from "./byte-key-index.js";
import { keptLineStart, loadIndex, storeIndex, type IndexCacheRef } from "./index-cache.js";
import { MalformedLines } from "./malformed-lines.js";

/**
 * Reads Module.symvers: "CRC<TAB>NAME<TAB>MODULE<TAB>EXPORT_TYPE[<TAB>NAMESPACE]".
 * Malformed lines are reported (KLP-E008) with their line number.
 *
 * Like the symbol table, the one pass checks each line's shape over the bytes
 * and indexes it by name (ByteKeyIndex); an ExportedSymbol is made when a name
 * is asked for. A name listed twice takes its last line, as a Map would.
 */
export function readSymvers(file: string, content: string | Buffer, sink: DiagnosticSink, cache?: IndexCacheRef): ExportTable {
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  const kept = cache && loadIndex(cache.dir, "symvers", file, cache.stamp, (k, count) => k.meta === count && (k.arrays[3]?.length ?? 0) >= count, cache.entry);
  if (kept) {
    const [slots, keyStart, keyEnd, lineStart] = kept.arrays;
    return new LazyExports(bytes, new ByteKeyIndex(bytes, 0, { arrays: [slots!, keyStart!, keyEnd!], count: kept.meta as number }), lineStart!);
  }
  const lines = countLines(bytes);
  const index = new ByteKeyIndex(bytes, lines);
  // Per line (index id): where it starts; per first line of a name: where its last line starts.
  const lineStart = new Int32Array(lines);
  const malformed = new MalformedLines(sink, file);
  let lineNo = 0;
  for (let i = 0; i < bytes.length; ) {
    let e = bytes.indexOf(10, i);
    if (e < 0) e = bytes.length;
    lineNo++;
    const name = nameOf(bytes, i, e);
    if (name) {
      const id = index.count;
      const first = index.add(name.start, name.end);
      lineStart[id] = i;
      lineStart[first] = i;
    } else if (!isBlankLine(bytes, i, e)) {
      malformed.add(() => ({
        code: "KLP-E008",
        severity: "error",
        message: `malformed Module.symvers line: ${JSON.stringify(bytes.toString("utf8", i, Math.min(e, i + 80)))}`,
        location: { file, line: lineNo, column: 1 },
        hint: "expected CRC, symbol, module and export type separated by tabs",
      }));
    }
    i = e + 1;
  }
  malformed.finish();
  if (index.count === 0 && malformed.seen === 0) {
    sink.report({ code: "KLP-E008", severity: "error", message: "Module.symvers is empty", location: { file, line: 0, column: 0 }, hint: "pass the kernel's own Module.symvers (from its headers package or build tree)" });
  }
  // Only a clean read is kept: a file with errors is read (and reported) again.
  if (cache && malformed.seen === 0 && index.count > 0) storeIndex(cache.dir, "symvers", file, cache.stamp, index.count, { meta: index.count, arrays: [...index.arrays(), lineStart] });
  return new LazyExports(bytes, index, lineStart);
}

/** name → export, made from the indexed lines on first use. */
class LazyExports implements ExportTable {
  private readonly made = new Map<string, ExportedSymbol>();
  constructor(
    private readonly bytes: Buffer,
    private readonly index: ByteKeyIndex,
    private readonly lineStart: Int32Array,
  ) {}

  get(name: string): ExportedSymbol | undefined {
    const done = this.made.get(name);
    if (done) return done;
    const first = this.index.find(name);
    if (first < 0) return undefined;
    // A kept index's line start is checked as it is read.
    const start = keptLineStart(this.bytes, this.lineStart, first);
    const [, symbol, module, exportType] = start < 0 ? [] : lineText(this.bytes, start).split("\t");
    if (symbol === undefined || module === undefined || exportType === undefined) return undefined;
    const made = { name: symbol!, module: module!, exportType: exportType!.replace(/\r$/, "") };
    this.made.set(name, made);
    return made;
  }

  has(name: string): boolean {
    return this.index.find(name) >= 0;
  }

  keys(): Iterable<string> {
    return this.index.keys();
  }
}

/** Where the name of the line bytes[i, e) lies, or undefined when the line is blank or malformed. */
function nameOf(b: Buffer, i: number, e: number): { start: number; end: number } | undefined {
  const t1 = b.indexOf(9, i);
  if (t1 < 0 || t1 >= e || !isCrc(b, i, t1)) return undefined;
  const t2 = b.indexOf(9, t1 + 1);
  if (t2 < 0 || t2 >= e || t2 === t1 + 1) return undefined;
  const t3 = b.indexOf(9, t2 + 1);
  if (t3 < 0 || t3 >= e || !startsWith(b, t3 + 1, e, EXPORT_SYMBOL)) return undefined;
  // At most one more field, the namespace.
  const t4 = b.indexOf(9, t3 + 1);
  if (t4 >= 0 && t4 < e && b.indexOf(9, t4 + 1) >= 0 && b.indexOf(9, t4 + 1) < e) return undefined;
  return { start: t1 + 1, end: t2 };
}

const EXPORT_SYMBOL = Buffer.from("EXPORT_SYMBOL");

function startsWith(b: Buffer, at: number, e: number, what: Buffer): boolean {
  return at + what.length <= e && b.compare(what, 0, what.length, at, at + what.length) === 0;
}

/** `0x` and hex digits. */
function isCrc(b: Buffer, i: number, e: number): boolean {
  if (e - i < 3 || b[i] !== 48 || (b[i + 1]! | 32) !== 120) return false;
  for (let k = i + 2; k < e; k++) {
    // Digits before case folding: `| 32` would turn control bytes 0x10-0x19 into digits.
    const c = b[k]!;
    if (!((c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102))) return false;
  }
  return true;
}
