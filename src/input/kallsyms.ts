import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { KernelSymbol, SymbolTable } from "../model/input.js";

const LINE = /^([0-9a-fA-F]+)\s+([A-Za-z?])\s+(\S+)(?:\s+\[(\S+)\])?\s*$/;

/**
 * Reads /proc/kallsyms or System.map (same "ADDR TYPE NAME [module]" lines).
 * Malformed lines are reported (KLP-E007) with their line number.
 */
export function readSymbolTable(file: string, text: string, sink: DiagnosticSink): SymbolTable {
  const byName = new Map<string, KernelSymbol[]>();
  const modules = new Set<string>();
  const lines = text.split("\n");
  let index = 0;
  let bad = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const m = LINE.exec(line);
    if (!m) {
      if (bad++ < 5) {
        sink.report({
          code: "KLP-E007",
          severity: "error",
          message: `malformed symbol line: ${JSON.stringify(line.slice(0, 80))}`,
          location: { file, line: i + 1, column: 1 },
          hint: "expected `ADDRESS TYPE NAME [MODULE]` as in /proc/kallsyms or System.map",
        });
      }
      continue;
    }
    const sym: KernelSymbol = { name: m[3]!, address: m[1]!.toLowerCase(), type: m[2]!, index: index++ };
    if (m[4]) {
      sym.module = m[4];
      modules.add(m[4]);
    }
    const list = byName.get(sym.name);
    if (list) list.push(sym);
    else byName.set(sym.name, [sym]);
  }
  if (index === 0 && bad === 0) {
    sink.report({ code: "KLP-E007", severity: "error", message: "the symbol table is empty", location: { file, line: 0, column: 0 } });
  }
  return { file, byName, modules };
}

/** Symbols of that name in vmlinux (module === undefined) or in the named module. */
export function symbolsIn(table: SymbolTable, name: string, object: string): KernelSymbol[] {
  const all = table.byName.get(name) ?? [];
  return all.filter((s) => (object === "vmlinux" ? s.module === undefined : s.module === object));
}
