import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";

/**
 * Writes all files into a fresh sibling directory and renames it into place,
 * so a failed run never leaves a partial output behind.
 */
export function writeOutput(outDir: string, files: Map<string, string>, overwrite: boolean, sink: DiagnosticSink): boolean {
  if (!checkOutput(outDir, overwrite, sink)) return false;
  const out = resolve(outDir);
  const tmp = `${out}.klp-ccp-tmp-${process.pid}`;
  try {
    mkdirSync(dirname(out), { recursive: true });
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    for (const [name, text] of files) writeFileSync(join(tmp, name), text);
    rmSync(out, { recursive: true, force: true });
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    sink.report({ code: "KLP-E016", severity: "error", message: `cannot write the output directory ${outDir}: ${(e as Error).message}`, hint: "choose an --out in a writable directory" });
    return false;
  }
  return true;
}

/**
 * Whether `outDir` can take the output: it does not exist, or is an empty
 * directory, or (with --force-overwrite) an earlier klp-ccp output (it has a
 * report.json): --force-overwrite never deletes a directory of other files.
 * Checked before any work and again before writing.
 */
export function checkOutput(outDir: string, overwrite: boolean, sink: DiagnosticSink): boolean {
  const out = resolve(outDir);
  if (!existsSync(out)) return true;
  if (!statSync(out).isDirectory()) {
    sink.report({ code: "KLP-E016", severity: "error", message: `--out ${outDir} exists and is not a directory`, hint: "choose another --out" });
    return false;
  }
  const entries = readdirSync(out);
  if (entries.length === 0) return true;
  if (!overwrite) {
    sink.report({ code: "KLP-E016", severity: "error", message: `output directory ${outDir} exists and is not empty`, hint: "choose another --out or pass --force-overwrite" });
    return false;
  }
  if (!entries.includes("report.json")) {
    sink.report({ code: "KLP-E016", severity: "error", message: `--force-overwrite: ${outDir} is not an earlier klp-ccp output (no report.json); it is left alone`, hint: "choose another --out, or empty it yourself" });
    return false;
  }
  return true;
}
