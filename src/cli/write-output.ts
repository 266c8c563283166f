import { accessSync, constants, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import { systemReason } from "../util/readable.js";

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
  const place = uncreatableReason(dirname(out));
  if (place) {
    sink.report({ code: "KLP-E016", severity: "error", message: `--out ${outDir} cannot be created: ${place}`, hint: "choose an --out in a writable directory" });
    return false;
  }
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

/**
 * Why a directory `dir` cannot be made or written into (the output is written
 * beside --out and renamed), or undefined: its nearest existing ancestor must
 * be a writable directory.
 */
function uncreatableReason(dir: string): string | undefined {
  let at = dir;
  for (;;) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(at).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" && dirname(at) !== at) {
        at = dirname(at);
        continue;
      }
      return `${at}: ${systemReason(e)}`;
    }
    if (!isDirectory) return `${at} is not a directory`;
    try {
      accessSync(at, constants.W_OK | constants.X_OK);
    } catch {
      return `${at} is not writable`;
    }
    return undefined;
  }
}
