import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { KernelSymbol, SymbolsByName, SymbolTable } from "../model/input.js";

const LINE = /^([0-9a-fA-F]+)\s+([A-Za-z?])\s+(\S+)(?:\s+\[(\S+)\])?\s*$/;

/**
 * Reads /proc/kallsyms or System.map (same "ADDR TYPE NAME [module]" lines).
 * Malformed lines are reported (KLP-E007) with their line number.
 *
 * A table has ~100k lines and a livepatch asks for a few hundred names, so
 * the one pass only checks each line's shape and indexes line starts by name;
 * KernelSymbol objects are made when a name is asked for. Lines of the usual
 * shape ("HEX T NAME" or "HEX T NAME\t[mod]") are checked by hand, because a
 * regexp match per line costs more than the rest of the pass together; any
 * other shape goes through the full pattern.
 */
export function readSymbolTable(file: string, text: string, sink: DiagnosticSink): SymbolTable {
  // name → the symbols' positions (index among valid lines); offsets[index] is its line's start.
  const starts = new Map<string, number | number[]>();
  const offsets: number[] = [];
  const modules = new Set<string>();
  let index = 0;
  let bad = 0;
  let lineNo = 0;
  for (let i = 0; i < text.length; ) {
    let e = text.indexOf("\n", i);
    if (e < 0) e = text.length;
    lineNo++;
    const line = nameOfLine(text, i, e);
    if (line === undefined) {
      if (text.slice(i, e).trim() !== "" && bad++ < 5) {
        sink.report({
          code: "KLP-E007",
          severity: "error",
          message: `malformed symbol line: ${JSON.stringify(text.slice(i, Math.min(e, i + 80)))}`,
          location: { file, line: lineNo, column: 1 },
          hint: "expected `ADDRESS TYPE NAME [MODULE]` as in /proc/kallsyms or System.map",
        });
      }
    } else {
      if (line.module !== undefined) modules.add(line.module);
      const prev = starts.get(line.name);
      if (prev === undefined) starts.set(line.name, index);
      else if (typeof prev === "number") starts.set(line.name, [prev, index]);
      else prev.push(index);
      offsets.push(i);
      index++;
    }
    i = e + 1;
  }
  if (index === 0 && bad === 0) {
    sink.report({ code: "KLP-E007", severity: "error", message: "the symbol table is empty", location: { file, line: 0, column: 0 } });
  }
  return { file, byName: new LazySymbols(text, starts, offsets), modules };
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

/** Name (and module) of the line text[i, e) without making the other fields; undefined when malformed. */
function nameOfLine(text: string, i: number, e: number): { name: string; module?: string } | undefined {
  let a = i;
  while (a < e && isHex(text.charCodeAt(a))) a++;
  if (a > i && text.charCodeAt(a) === 32 && text.charCodeAt(a + 2) === 32 && isType(text.charCodeAt(a + 1))) {
    let n = a + 3;
    while (n < e && !isBlank(text.charCodeAt(n))) n++;
    if (n > a + 3 && n === e) return { name: text.slice(a + 3, n) };
  }
  return parseLine(text, i, e);
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

/** name → symbols, made from the indexed line starts on first use (see readSymbolTable). */
class LazySymbols implements SymbolsByName {
  private readonly made = new Map<string, KernelSymbol[]>();
  constructor(
    private readonly text: string,
    private readonly starts: Map<string, number | number[]>,
    private readonly offsets: number[],
  ) {}

  get(name: string): KernelSymbol[] | undefined {
    const done = this.made.get(name);
    if (done) return done;
    const at = this.starts.get(name);
    if (at === undefined) return undefined;
    const list = (typeof at === "number" ? [at] : at).map((index) => this.symbolAt(index));
    this.made.set(name, list);
    return list;
  }

  has(name: string): boolean {
    return this.starts.has(name);
  }

  keys(): Iterable<string> {
    return this.starts.keys();
  }

  at(index: number): KernelSymbol | undefined {
    return index >= 0 && index < this.offsets.length ? this.symbolAt(index) : undefined;
  }

  /** The index-th symbol of the file. */
  private symbolAt(index: number): KernelSymbol {
    const start = this.offsets[index]!;
    let e = this.text.indexOf("\n", start);
    if (e < 0) e = this.text.length;
    const l = parseLine(this.text, start, e)!;
    return { name: l.name, address: l.address, type: l.type, index, ...(l.module !== undefined ? { module: l.module } : {}) };
  }
}
