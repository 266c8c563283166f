import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { KernelSymbol, SymbolsByName, SymbolTable } from "../model/input.js";
import { ByteKeyIndex, countLines, isBlankLine, lineText } from "./byte-key-index.js";
import { keptLineStart, loadIndex, storeIndex, type CachedIndex, type IndexCacheRef } from "./index-cache.js";
import { MalformedLines } from "./malformed-lines.js";

const LINE = /^([0-9a-fA-F]+)\s+([A-Za-z?])\s+(\S+)(?:\s+\[(\S+)\])?\s*$/d;

/**
 * Reads /proc/kallsyms or System.map (same "ADDR TYPE NAME [module]" lines).
 * Malformed lines are reported (KLP-E007) with their line number.
 *
 * A table has ~100k lines and a livepatch asks for a few hundred names, so
 * the one pass over the file's bytes only checks each line's shape and
 * indexes it by name (ByteKeyIndex); KernelSymbol objects are made when a name
 * is asked for. Lines of the usual shape ("HEX T NAME" or "HEX T NAME\t[mod]")
 * are checked byte by byte; any other shape goes through the full pattern.
 */
export function readSymbolTable(file: string, content: string | Buffer, sink: DiagnosticSink, cache?: IndexCacheRef): SymbolTable {
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  const kept = cache && loadIndex(cache.dir, "kallsyms", file, cache.stamp, validKept, cache.entry);
  if (kept) {
    const [slots, keyStart, keyEnd, lineStart, next] = kept.arrays;
    const meta = kept.meta as { count: number; modules: string[] };
    const index = new ByteKeyIndex(bytes, 0, { arrays: [slots!, keyStart!, keyEnd!], count: meta.count });
    return { file, byName: new LazySymbols(bytes, index, lineStart!, next!), modules: new Set(meta.modules) };
  }
  const lines = countLines(bytes);
  const index = new ByteKeyIndex(bytes, lines);
  // Per symbol (index id): where its line starts, and the next symbol of the same name (-1: none).
  const lineStart = new Int32Array(lines);
  const next = new Int32Array(lines).fill(-1);
  const last = new Int32Array(lines);
  const modules = new Set<string>();
  const line: LineKeys = new Int32Array(4);
  let moduleStart = -1;
  let moduleEnd = -1;
  const malformed = new MalformedLines(sink, file);
  let lineNo = 0;
  for (let i = 0; i < bytes.length; ) {
    let e = bytes.indexOf(10, i);
    if (e < 0) e = bytes.length;
    lineNo++;
    if (!fastLine(bytes, i, e, line) && !slowLine(bytes, i, e, line)) {
      if (!isBlankLine(bytes, i, e)) {
        malformed.add(() => ({
          code: "KLP-E007",
          severity: "error",
          message: `malformed symbol line: ${JSON.stringify(bytes.toString("utf8", i, Math.min(e, i + 80)))}`,
          location: { file, line: lineNo, column: 1 },
          hint: "expected `ADDRESS TYPE NAME [MODULE]` as in /proc/kallsyms or System.map",
        }));
      }
    } else {
      // A module's symbols come in one run: a string only when the module changes.
      if (line[2]! >= 0 && !(line[3]! - line[2]! === moduleEnd - moduleStart && bytes.compare(bytes, line[2]!, line[3]!, moduleStart, moduleEnd) === 0)) {
        moduleStart = line[2]!;
        moduleEnd = line[3]!;
        modules.add(bytes.toString("utf8", moduleStart, moduleEnd));
      }
      const id = index.count;
      const first = index.add(line[0]!, line[1]!);
      lineStart[id] = i;
      if (first === id) last[id] = id;
      else {
        next[last[first]!] = id;
        last[first] = id;
      }
    }
    i = e + 1;
  }
  malformed.finish();
  if (index.count === 0 && malformed.seen === 0) {
    sink.report({ code: "KLP-E007", severity: "error", message: "the symbol table is empty", location: { file, line: 0, column: 0 } });
  }
  // Only a clean read is kept: a table with errors is read (and reported) again.
  if (cache && malformed.seen === 0 && index.count > 0) storeIndex(cache.dir, "kallsyms", file, cache.stamp, index.count, { meta: { count: index.count, modules: [...modules] }, arrays: [...index.arrays(), lineStart, next] });
  return { file, byName: new LazySymbols(bytes, index, lineStart, next), modules };
}

/** A kept index's own part has its shape: meta as written, and a line start and a next entry per symbol (their values are checked as they are read). */
function validKept(kept: CachedIndex, count: number): boolean {
  const meta = kept.meta as { count?: unknown; modules?: unknown } | null;
  if (!meta || meta.count !== count || !Array.isArray(meta.modules) || !meta.modules.every((m) => typeof m === "string")) return false;
  const [, , , lineStart, next] = kept.arrays;
  return Boolean(lineStart && next && lineStart.length >= count && next.length >= count);
}

/** Symbols of that name in vmlinux (module === undefined) or in the named module. */
export function symbolsIn(table: SymbolTable, name: string, object: string): KernelSymbol[] {
  const all = table.byName.get(name) ?? [];
  return all.filter((s) => (object === "vmlinux" ? s.module === undefined : s.module === object));
}

interface ParsedLine {
  address: string;
  type: string;
  name: string;
  module?: string;
}

/**
 * Where a valid line's name and module (-1, -1 when none) lie in the bytes:
 * [nameStart, nameEnd, moduleStart, moduleEnd], filled in place (one array
 * for the whole file rather than an object per line).
 */
type LineKeys = Int32Array;

/** The usual shape, "HEX T NAME" or "HEX T NAME\t[mod]", checked byte by byte; false for any other. */
function fastLine(b: Buffer, i: number, e: number, out: LineKeys): boolean {
  let a = i;
  while (a < e && isHex(b[a]!)) a++;
  if (a === i || b[a] !== 32 || b[a + 2] !== 32 || !isType(b[a + 1]!)) return false;
  let n = a + 3;
  while (n < e && !isBlank(b[n]!)) n++;
  if (n === a + 3) return false;
  out[0] = a + 3;
  out[1] = n;
  out[2] = out[3] = -1;
  if (n === e) return true;
  if (b[n] !== 9 || b[n + 1] !== 91 || b[e - 1] !== 93 || e - 1 <= n + 2) return false;
  for (let k = n + 2; k < e - 1; k++) if (isBlank(b[k]!) || b[k] === 91 || b[k] === 93) return false;
  out[2] = n + 2;
  out[3] = e - 1;
  return true;
}

/** Any other valid shape (extra blanks, CR line ends), through the full pattern; false when malformed. */
function slowLine(b: Buffer, i: number, e: number, out: LineKeys): boolean {
  const text = b.toString("utf8", i, e);
  const m = LINE.exec(text);
  if (!m?.indices) return false;
  const at = (k: number) => i + Buffer.byteLength(text.slice(0, k));
  const mod = m.indices[4];
  out.set([at(m.indices[3]![0]), at(m.indices[3]![1]), mod ? at(mod[0]) : -1, mod ? at(mod[1]) : -1]);
  return true;
}

/** The fields of text[i, e), or undefined when the line is blank or malformed. */
function parseLine(text: string, i: number, e: number): ParsedLine | undefined {
  let a = i;
  while (a < e && isHex(text.charCodeAt(a))) a++;
  // Fast shape: HEX ' ' TYPE ' ' NAME [ '\t[' MOD ']' ] with no other blanks.
  if (a > i && text.charCodeAt(a) === 32 && text.charCodeAt(a + 2) === 32 && isType(text.charCodeAt(a + 1))) {
    let n = a + 3;
    while (n < e && !isBlank(text.charCodeAt(n))) n++;
    if (n > a + 3) {
      const fields = { address: text.slice(i, a).toLowerCase(), type: text[a + 1]!, name: text.slice(a + 3, n) };
      if (n === e) return fields;
      if (text.charCodeAt(n) === 9 && text.charCodeAt(n + 1) === 91 && text.charCodeAt(e - 1) === 93 && e - 1 > n + 2) {
        let k = n + 2;
        while (k < e - 1 && !isBlank(text.charCodeAt(k)) && text.charCodeAt(k) !== 91 && text.charCodeAt(k) !== 93) k++;
        if (k === e - 1) return { ...fields, module: text.slice(n + 2, e - 1) };
      }
    }
  }
  const m = LINE.exec(text.slice(i, e));
  if (!m) return undefined;
  return { address: m[1]!.toLowerCase(), type: m[2]!, name: m[3]!, ...(m[4] ? { module: m[4] } : {}) };
}

const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
const isType = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 63;
const isBlank = (c: number) => c === 32 || c === 9 || c === 13 || c === 11 || c === 12;

/** name → symbols, made from the indexed lines on first use (see readSymbolTable). */
class LazySymbols implements SymbolsByName {
  private readonly made = new Map<string, KernelSymbol[]>();
  constructor(
    private readonly bytes: Buffer,
    private readonly index: ByteKeyIndex,
    private readonly lineStart: Int32Array,
    private readonly next: Int32Array,
  ) {}

  get(name: string): KernelSymbol[] | undefined {
    const done = this.made.get(name);
    if (done) return done;
    const first = this.index.find(name);
    if (first < 0) return undefined;
    const list: KernelSymbol[] = [];
    // Same-name chains only go forward (a kept index's, which could loop, is checked here).
    for (let id = first; id >= 0 && id < this.index.count; ) {
      const symbol = this.symbolAt(id);
      if (symbol) list.push(symbol);
      const next = this.next[id]!;
      if (next >= 0 && next <= id) break;
      id = next;
    }
    this.made.set(name, list);
    return list;
  }

  has(name: string): boolean {
    return this.index.find(name) >= 0;
  }

  keys(): Iterable<string> {
    return this.index.keys();
  }

  at(index: number): KernelSymbol | undefined {
    return index >= 0 && index < this.index.count ? this.symbolAt(index) : undefined;
  }

  /** The index-th symbol of the file (undefined only where a kept index points at no symbol line). */
  private symbolAt(index: number): KernelSymbol | undefined {
    const start = keptLineStart(this.bytes, this.lineStart, index);
    const text = start < 0 ? "" : lineText(this.bytes, start);
    const l = parseLine(text, 0, text.length);
    if (!l) return undefined;
    return { name: l.name, address: l.address, type: l.type, index, ...(l.module !== undefined ? { module: l.module } : {}) };
  }
}
