import { accessSync, constants, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import { systemReason } from "../util/readable.js";
import { isAlive } from "../util/scratch-dir.js";

/**
 * Writes all files into a fresh sibling directory and renames it into place,
 * so a failed run never leaves a partial output behind. An earlier output
 * (--force-overwrite) is renamed aside first and deleted only once the new
 * one is in place: a run killed at any moment leaves the old output or the
 * new one (one put aside is put back by the next run, see checkOutput).
 */
export function writeOutput(outDir: string, files: Map<string, string>, overwrite: boolean, sink: DiagnosticSink): boolean {
  if (!checkOutput(outDir, overwrite, sink)) return false;
  const out = resolve(outDir);
  const tmp = sibling(out, "tmp", process.pid);
  const old = sibling(out, "old", process.pid);
  try {
    mkdirSync(dirname(out), { recursive: true });
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    for (const [name, text] of files) writeFileSync(join(tmp, name), text);
    if (existsSync(out)) {
      renameSync(out, old);
      try {
        renameSync(tmp, out);
      } catch (e) {
        renameSync(old, out);
        throw e;
      }
      rmSync(old, { recursive: true, force: true });
    } else renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    sink.report({ code: "KLP-E016", severity: "error", message: `cannot write the output directory ${outDir}: ${(e as Error).message}`, hint: "choose an --out in a writable directory" });
    return false;
  }
  return true;
}

/** Where a run writes its new output (`tmp`) or puts the earlier one aside (`old`), beside --out. */
function sibling(out: string, kind: "tmp" | "old", pid: number): string {
  return `${out}.klp-ccp-${kind}-${pid}`;
}

/**
 * Undoes what a killed run left beside --out: its unfinished new output is
 * removed, and an earlier output it had put aside goes back into place when
 * nothing replaced it (else it is removed). Only runs that no longer exist.
 */
export function recoverInterruptedOutput(outDir: string): void {
  const out = resolve(outDir);
  let names: string[];
  try {
    names = readdirSync(dirname(out));
  } catch {
    return;
  }
  const prefix = `${basename(out)}.klp-ccp-`;
  for (const name of names.filter((n) => n.startsWith(prefix))) {
    const m = /^(tmp|old)-(\d+)$/.exec(name.slice(prefix.length));
    if (!m || Number(m[2]) === process.pid || isAlive(Number(m[2]))) continue;
    const path = join(dirname(out), name);
    try {
      if (m[1] === "old" && !existsSync(out)) renameSync(path, out);
      else rmSync(path, { recursive: true, force: true });
    } catch {
      // left for the user: never a reason to fail this run
    }
  }
}

/**
 * Whether `outDir` can take the output: it does not exist, or is an empty
 * directory, or (with --force-overwrite) an earlier klp-ccp output (it has a
 * report.json): --force-overwrite never deletes a directory of other files.
 * Checked before any work and again before writing; what a killed run left
 * beside it is cleaned up first (recoverInterruptedOutput).
 */
export function checkOutput(outDir: string, overwrite: boolean, sink: DiagnosticSink): boolean {
  const out = resolve(outDir);
  recoverInterruptedOutput(out);
  if (!checkOutputPlace(outDir, sink)) return false;
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

/** Whether --out (a directory or, for --output-closure-only, a file) can be created where it is: checked before any work. */
export function checkOutputPlace(out: string, sink: DiagnosticSink): boolean {
  const place = uncreatableReason(dirname(resolve(out)));
  if (place) sink.report({ code: "KLP-E016", severity: "error", message: `--out ${out} cannot be created: ${place}`, hint: "choose an --out in a writable directory" });
  return !place;
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
