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
 * must not guess. A hunk GNU patch applied at an offset (a fix made for a
 * nearby kernel version) is moved to where it applied: its line numbers in
 * `patch` are shifted in place, so later stages map the lines that changed.
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
  shiftToAppliedOffsets(patch, r.stdout);
  const out = new Map<string, string>();
  for (const f of patch.files) out.set(f.path, readFileSync(join(workDir, f.path), "utf8"));
  return out;
}

/** Reads `patching file F` / `Hunk #N succeeded at L (offset K lines).` from GNU patch and shifts those hunks by K. */
function shiftToAppliedOffsets(patch: PatchSet, output: string): void {
  let file: PatchSet["files"][number] | undefined;
  let nth = 0;
  for (const line of output.split("\n")) {
    const f = /^patching file '?(.+?)'?$/.exec(line);
    if (f) {
      // Files come in patch order; one path may come twice (a series): take the next unseen one.
      file = patch.files.find((x, i) => x.path === f[1] && i >= nth) ?? patch.files.find((x) => x.path === f[1]);
      nth = file ? patch.files.indexOf(file) + 1 : nth;
      continue;
    }
    const h = /^Hunk #(\d+) succeeded at \d+ \(offset (-?\d+) lines?\)/.exec(line);
    const hunk = h && file ? file.hunks[Number(h[1]) - 1] : undefined;
    if (!hunk) continue;
    const by = Number(h![2]);
    hunk.newStart += by;
    for (const l of hunk.added) l.line += by;
    for (const l of hunk.deleted) l.line += by;
  }
}
