// A type whose #if branches the fix rearranges (test/fixtures/layout-in-tu, corpus
// dm-writecache.c): one layout under the TU's macros is no KLP-E021; a real change still is.
import { describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DiagnosticSink } from "../src/diagnostics/diagnostic.js";
import { readPatch } from "../src/input/diff.js";
import { applyPatch } from "../src/kbuild/apply-patch.js";
import { parseSourceFile } from "../src/parse/source-file.js";
import { parsePreprocessed } from "../src/parse/preprocessed-tu.js";
import { sameLayoutInTu } from "../src/resolve/layout-in-tu.js";
import { touchedFunctions } from "../src/resolve/touched.js";
import type { TuContext } from "../src/model/tu.js";
import { FIXTURES } from "./golden.js";

const DIR = join(FIXTURES, "layout-in-tu");
const REL = "drivers/md/wc.c";

function codes(patchName: string, withTu: boolean): string[] {
  const original = readFileSync(join(DIR, "before.c"), "utf8");
  const patchText = readFileSync(join(DIR, patchName), "utf8");
  const src = mkdtempSync(join(tmpdir(), "klp-ccp-layout-"));
  try {
    mkdirSync(dirname(join(src, REL)), { recursive: true });
    writeFileSync(join(src, REL), original);
    const sink = new DiagnosticSink();
    const patch = readPatch(patchName, patchText, sink)!;
    const patched = applyPatch(patch, patchText, src, join(src, "work"), sink)!;
    const main = parseSourceFile(REL, patched.get(REL)!);
    const ctx = { relPath: REL, main, tu: parsePreprocessed(readFileSync(join(DIR, "tu.i"), "utf8")), markerToRel: new Map([[REL, REL]]) } as unknown as TuContext;
    touchedFunctions(patch.files[0]!, main, parseSourceFile(REL, original), sink, undefined, undefined, withTu ? sameLayoutInTu(ctx) : undefined);
    return sink.items.map((d) => d.code);
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
}

describe("layouts compared under the TU's macros", () => {
  it("#if branches rearranged, one layout with BITS_PER_LONG == 64: no KLP-E021", () => {
    expect(codes("fix.patch", true)).toEqual([]);
    // Compared as text, the same fix is a layout change.
    expect(codes("fix.patch", false)).toEqual(["KLP-E021"]);
  });
  it("near miss: a bitfield width changed in the branch the TU compiles is still KLP-E021", () => {
    expect(codes("near-miss.patch", true)).toEqual(["KLP-E021"]);
  });
});
