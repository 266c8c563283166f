// A fix of a header's inline code: which functions it changes, which TUs of the
// build tree include it, and the shapes that stay refused. The header is a slice
// of include/linux/netdevice.h (test/fixtures/header-fix/src).
import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DiagnosticSink, StageFailed } from "../src/diagnostics/diagnostic.js";
import { readPatches } from "../src/input/patches.js";
import { applyPatches } from "../src/kbuild/apply-patch.js";
import { overlayIncludes } from "../src/kbuild/header-overlay.js";
import { planHeaderFix } from "../src/header-fix.js";
import { FIXTURES } from "./golden.js";

const DIR = join(FIXTURES, "header-fix");
const SRC = join(DIR, "src");
const scratch = mkdtempSync(join(tmpdir(), "klp-ccp-header-fix-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A build tree whose TUs a.c and b.c include the header (kbuild's relative deps form), c.c does not; dumps for `dumped`. */
function buildTree(name: string, dumped: string[]): string {
  const build = join(scratch, name);
  for (const tu of ["a", "b", "c"]) {
    mkdirSync(join(build, "d"), { recursive: true });
    const deps = tu === "c" ? "include/linux/other.h" : "include/linux/lstats.h";
    writeFileSync(join(build, "d", `.${tu}.o.cmd`), `cmd_d/${tu}.o := gcc -D__KERNEL__ -c -o d/${tu}.o d/${tu}.c\n\nsource_d/${tu}.o := d/${tu}.c\n\ndeps_d/${tu}.o := \\\n  ${deps} \\\n\n`);
    if (dumped.includes(tu)) writeFileSync(join(build, "d", `${tu}.c.000i.ipa-clones`), "");
  }
  return build;
}

function plan(patch: string, build: string, ipaDir = build) {
  const sink = new DiagnosticSink();
  const patches = readPatches([join(DIR, "patches", patch)], sink)!;
  const work = join(scratch, `work-${patch}`);
  const patched = applyPatches(patches.each, SRC, join(work, "tree"), sink)!;
  try {
    return { fix: planHeaderFix({ patch: patches.all, patched, src: SRC, build, ipaDir, work, sink }), sink };
  } catch (e) {
    if (!(e instanceof StageFailed)) throw e;
    return { fix: "failed" as const, sink };
  }
}

describe("header fix", () => {
  it("puts a patched header of an include root first, and no private header", () => {
    expect(overlayIncludes(["include/linux/lstats.h", "include/linux/x.h", "arch/x86/include/asm/y.h", "include/uapi/linux/z.h"], "/w/tree")).toEqual(["-I/w/tree/include", "-I/w/tree/arch/x86/include", "-I/w/tree/include/uapi"]);
    expect(overlayIncludes(["include/linux/x.h", "fs/proc/internal.h"], "/w/tree")).toBeUndefined();
    expect(overlayIncludes(["include/x.h"], "/w/tree")).toEqual(["-I/w/tree/include"]);
    expect(overlayIncludes(["arch/x86/include.h"], "/w/tree")).toBeUndefined();
  });

  it("takes an inline's changed body, and the TUs that include its header", () => {
    const { fix, sink } = plan("inline-body.patch", buildTree("body", ["a", "b"]));
    expect(sink.items).toEqual([]);
    if (!fix || fix === "failed") throw new Error("no header fix");
    expect(fix.changed.map((c) => [c.name, c.why])).toEqual([["dev_lstats_add", "changed at include/linux/lstats.h:20"]]);
    expect(fix.users).toEqual(["d/a.c", "d/b.c"]);
    expect(fix.includes).toEqual([`-I${join(scratch, "work-inline-body.patch", "tree", "include")}`]);
    expect([...fix.overlay.headers.keys()]).toEqual(["include/linux/lstats.h"]);
  });

  it("takes a function-like macro through the inlines of the header that use it", () => {
    const { fix } = plan("macro-only.patch", buildTree("macro", ["a", "b"]));
    expect(fix !== "failed" && fix?.changed.map((c) => c.name)).toEqual(["dev_lstats_add"]);
  });

  it("leaves a macro no inline of the header uses to the KLP-E069 refusal (near miss)", () => {
    const { fix, sink } = plan("macro-unused.patch", buildTree("unused", ["a", "b"]));
    expect(fix).toBeUndefined();
    expect(sink.hasErrors).toBe(false);
  });

  it("refuses a struct layout change in the header (KLP-E021)", () => {
    const { fix, sink } = plan("struct-layout.patch", buildTree("layout", ["a", "b"]));
    expect(fix).toBe("failed");
    expect(sink.items.map((d) => [d.code, d.location?.file, d.location?.line])).toEqual([["KLP-E021", "include/linux/lstats.h", 9]]);
  });

  it("stops with the prepare command when dumps are missing and cannot be made here (KLP-E059)", () => {
    const build = buildTree("undumped", ["a"]);
    const { fix, sink } = plan("inline-body.patch", build, join(scratch, "elsewhere"));
    expect(fix).toBe("failed");
    expect(sink.items.map((d) => d.code)).toEqual(["KLP-E059"]);
    expect(sink.items[0]!.message).toContain("2 TU(s) that include the changed header have no IPA clone dump");
    expect(sink.items[0]!.hint).toBe(`make them with: klp-ccp prepare --src ${SRC} --build ${build} d/a.c d/b.c`);
  });
});

describe("header fix with .c files, and a directory's own header", () => {
  it("takes a private header that only gains lines with the .c file that uses them: no other TU changes", () => {
    const { fix, sink } = plan("private-additions.patch", buildTree("priv-add", ["a", "b"]));
    expect(sink.items).toEqual([]);
    if (!fix || fix === "failed") throw new Error("no header fix");
    expect([fix.changed, fix.users, fix.includes, fix.cFiles, fix.privateHeaders]).toEqual([[], [], [], ["d/a.c"], true]);
    expect([...fix.overlay.headers.keys()]).toEqual(["d/priv.h"]);
    expect(fix.overlay.headers.get("d/priv.h")).toContain("priv_twice");
  });

  it("leaves a changed macro no inline of a private header uses to the KLP-E069 refusal (near miss)", () => {
    const { fix, sink } = plan("private-macro-unused.patch", buildTree("priv-macro", ["a", "b"]));
    expect(fix).toBeUndefined();
    expect(sink.hasErrors).toBe(false);
  });
});
