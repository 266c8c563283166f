import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { IpaNode, IpaRecord } from "../model/input.js";
import { MalformedLines } from "./malformed-lines.js";

/**
 * Reads gcc's -fdump-ipa-clones output. Two record kinds, `;`-separated:
 * `Callgraph clone` (12 fields: original name, order, file, line, col; clone
 * name, order, file, line, col; reason) and `Callgraph removal` (6 fields).
 * Older gcc printed 14-field clone lines (with an extra field after each
 * node's column); both are accepted. `stripPrefix` makes paths relative.
 * Malformed records are reported (KLP-E009), the first few one by one.
 */
export function readIpaClones(file: string, text: string, sink: DiagnosticSink, stripPrefix = ""): IpaRecord[] {
  const out: IpaRecord[] = [];
  const malformed = new MalformedLines(sink, file);
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const f = line.split(";");
    const location = { file, line: i + 1, column: 1 };
    const node = (at: number): IpaNode | undefined => {
      // Order, line and column are decimal numbers (Number() would take "", " 1", "1e3").
      if (!f[at] || ![f[at + 1], f[at + 3], f[at + 4]].every((n) => n !== undefined && /^\d+$/.test(n))) return undefined;
      const order = Number(f[at + 1]);
      const ln = Number(f[at + 3]);
      const path = f[at + 2] ?? "";
      return { name: f[at]!, order, file: path.startsWith(stripPrefix) ? path.slice(stripPrefix.length) : path, line: ln };
    };
    let rec: IpaRecord | undefined;
    if (f[0] === "Callgraph clone" && (f.length === 12 || f.length === 14)) {
      const second = f.length === 12 ? 6 : 7;
      const original = node(1);
      const clone = node(second);
      if (original && clone) rec = { kind: "clone", original, clone, reason: f[f.length - 1]!, location };
    } else if (f[0] === "Callgraph removal" && f.length >= 6) {
      const n = node(1);
      if (n) rec = { kind: "removal", node: n, location };
    }
    if (rec) out.push(rec);
    else {
      malformed.add(() => ({
        code: "KLP-E009",
        severity: "error",
        message: `malformed IPA clone record: ${JSON.stringify(line.slice(0, 100))}`,
        location,
        hint: "regenerate the dump with -fdump-ipa-clones",
      }));
    }
  }
  malformed.finish();
  return out;
}
