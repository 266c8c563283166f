// Shared by the scripts that check something for every case's fix (check-header-cache.mjs,
// check-source-splice.mjs, run by scripts/test-kernel.sh).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Runs `check(fixPatch, scratchDir)` for each case directory, each in a scratch directory of
 * its own (shared cases reuse ids); prints one line per case, `ok   ID[: detail]` or
 * `FAIL ID: detail`, and exits 1 when one failed (or threw), else 0.
 * `check` returns { ok, detail? }.
 */
export function checkEachCase(name, caseDirs, check) {
  const scratch = mkdtempSync(join(tmpdir(), `klp-${name}-`));
  let bad = 0;
  try {
    for (const [n, arg] of caseDirs.entries()) {
      // DIR@PATCH: the case's version of the fix for the kernel under test (test-kernel.sh).
      const [dir, patch] = arg.includes("@") ? arg.split("@") : [arg, undefined];
      const id = dir.replace(/\/+$/, "").replace(/.*\//, "");
      try {
        const { ok, detail } = check(patch ?? join(dir, "fix.patch"), join(scratch, `${n}-${id}`));
        if (!ok) bad++;
        process.stdout.write(`${ok ? "ok  " : "FAIL"} ${id}${detail ? `: ${detail}` : ""}\n`);
      } catch (e) {
        bad++;
        process.stdout.write(`FAIL ${id}: ${e instanceof Error ? e.message : String(e)}\n`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  process.exit(bad ? 1 : 0);
}
