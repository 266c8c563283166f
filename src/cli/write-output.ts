import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";

/**
 * Writes all files into a fresh sibling directory and renames it into place,
 * so a failed run never leaves a partial output behind.
 */
export function writeOutput(outDir: string, files: Map<string, string>, overwrite: boolean, sink: DiagnosticSink): boolean {
  const out = resolve(outDir);
  if (existsSync(out) && readdirSync(out).length > 0 && !overwrite) {
    sink.report({ code: "KLP-E016", severity: "error", message: `output directory ${outDir} exists and is not empty`, hint: "choose another --out or pass --force-overwrite" });
    return false;
  }
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.klp-ccp-tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  for (const [name, text] of files) writeFileSync(join(tmp, name), text);
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
  return true;
}
