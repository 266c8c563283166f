// Driver for functions a fix deletes: each test/fixtures/deleted/<case> names a
// real Debian 6.1 kernel file (path.txt, kept once in fixtures/kernel-src) and a
// fix that deletes a function; expected.json lists the changed functions left to
// replace and the diagnostics (a deleted static function whose users the fix
// changes is dropped with KLP-W010; one that unchanged code still names, or a
// global one, is KLP-E041).
import { describe, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DiagnosticSink } from "../src/diagnostics/diagnostic.js";
import { readPatch } from "../src/input/diff.js";
import { applyPatch } from "../src/kbuild/apply-patch.js";
import { parseSourceFile } from "../src/parse/source-file.js";
import { touchedFunctions } from "../src/resolve/touched.js";
import { dropDeletedFunctions } from "../src/decide/deleted-functions.js";
import { FIXTURES, cases, expectGolden, json, read, readKernelSource } from "./golden.js";

describe("deleted functions", () => {
  for (const name of cases("deleted")) {
    it(name, () => {
      const rel = read("deleted", name, "path.txt").trim();
      const src = mkdtempSync(join(tmpdir(), "klp-ccp-deleted-"));
      try {
        mkdirSync(dirname(join(src, rel)), { recursive: true });
        const original = readKernelSource(rel);
        writeFileSync(join(src, rel), original);
        const sink = new DiagnosticSink();
        const patchText = read("deleted", name, "fix.patch");
        const patch = readPatch("fix.patch", patchText, sink)!;
        const patched = applyPatch(patch, patchText, src, join(src, "work"), sink)!;
        const before = parseSourceFile(rel, original);
        const after = parseSourceFile(rel, patched.get(rel)!);
        const touched = touchedFunctions(patch.files[0]!, after, before, sink);
        const kept = dropDeletedFunctions({ changed: touched, original: before, patched: after, sink });
        expectGolden(join(FIXTURES, "deleted", name, "expected.json"), json({ touched: touched.map((t) => t.name), kept: kept.map((k) => k.name), diagnostics: sink.items }));
      } finally {
        rmSync(src, { recursive: true, force: true });
      }
    });
  }
});
