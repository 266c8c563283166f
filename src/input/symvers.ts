import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { ExportTable } from "../model/input.js";

/**
 * Reads Module.symvers: "CRC<TAB>NAME<TAB>MODULE<TAB>EXPORT_TYPE[<TAB>NAMESPACE]".
 * Malformed lines are reported (KLP-E008) with their line number.
 */
export function readSymvers(file: string, text: string, sink: DiagnosticSink): ExportTable {
  const table: ExportTable = new Map();
  const lines = text.split("\n");
  let bad = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const f = line.split("\t");
    if (f.length < 4 || !/^0x[0-9a-fA-F]+$/.test(f[0]!) || !f[1] || !/^EXPORT_SYMBOL/.test(f[3]!)) {
      if (bad++ < 5) {
        sink.report({
          code: "KLP-E008",
          severity: "error",
          message: `malformed Module.symvers line: ${JSON.stringify(line.slice(0, 80))}`,
          location: { file, line: i + 1, column: 1 },
          hint: "expected CRC, symbol, module and export type separated by tabs",
        });
      }
      continue;
    }
    table.set(f[1], { name: f[1], module: f[2]!, exportType: f[3]! });
  }
  return table;
}
