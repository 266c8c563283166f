import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { PatchSet } from "../model/input.js";
import { run } from "./run.js";

/**
 * Applies the patch to copies of the files it touches under `workDir` (never
 * to the kernel tree) with GNU patch, the reference implementation of
 * unified-diff application. Offsets are fine; fuzz is not (--fuzz=0): a
 * hunk whose context differs was written for other code, and a livepatch
 * must not guess.
 * Returns the patched texts by relative path, or undefined after reporting.
 */
export function applyPatch(patch: PatchSet, patchText: string, src: string, workDir: string, sink: DiagnosticSink): Map<string, string> | undefined {
  for (const f of patch.files) {
    const from = join(src, f.path);
    if (!existsSync(from)) {
      sink.report({
        code: "KLP-E003",
        severity: "error",
        message: `the patch changes ${f.path}, which is not in the source tree ${src}`,
        location: f.hunks[0]?.location ?? { file: patch.file, line: 0, column: 0 },
        hint: "check --src and the patch's a/ b/ paths",
      });
      return undefined;
    }
    mkdirSync(dirname(join(workDir, f.path)), { recursive: true });
    copyFileSync(from, join(workDir, f.path));
  }
  const r = run(["patch", "-p1", "--batch", "--forward", "--no-backup-if-mismatch", "--fuzz=0", "-r", "-", "-d", workDir], workDir, patchText);
  if (r.status !== 0) {
    sink.report({
      code: "KLP-E002",
      severity: "error",
      message: `the patch does not apply to ${src}: ${(r.stdout + r.stderr).trim().split("\n").filter((l) => /FAILED|malformed|can't find|Reversed|Only garbage|not found/i.test(l)).join("; ") || (r.stdout + r.stderr).trim()}`,
      location: { file: patch.file, line: 0, column: 0 },
      hint: "check that --src is the kernel version the fix was made for",
    });
    return undefined;
  }
  const out = new Map<string, string>();
  for (const f of patch.files) out.set(f.path, readFileSync(join(workDir, f.path), "utf8"));
  return out;
}
