// Driver for the render of a livepatch over several TUs: each
// test/fixtures/render-set/<case>/set.json is a LivepatchSet taken from a real
// extract run of a kernel case (multi-*; compile commands, originals and include
// file lists left out); expected/ holds the files renderLivepatchSet writes.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { LivepatchSet } from "../src/model/livepatch-set.js";
import { buildSetReport } from "../src/decide/set-report.js";
import { explain } from "../src/decide/explain.js";
import { renderLivepatchSet } from "../src/render/render.js";
import { refuseDuplicateFunctions, reportCrossTuCalls } from "../src/decide/cross-tu.js";
import { DiagnosticSink } from "../src/diagnostics/diagnostic.js";
import { FIXTURES, cases, expectGolden } from "./golden.js";

const load = (name: string) => JSON.parse(readFileSync(join(FIXTURES, "render-set", name, "set.json"), "utf8")) as LivepatchSet;

describe("render a livepatch over several TUs", () => {
  for (const name of cases("render-set")) {
    it(name, () => {
      const dir = join(FIXTURES, "render-set", name);
      const set = load(name);
      const files = renderLivepatchSet(set, buildSetReport(set, []));
      for (const [file, text] of files) expectGolden(join(dir, "expected", file), text);
      expect([...files.keys()].sort()).toEqual(readdirSync(join(dir, "expected")).sort());
    });
  }

  it("one file per TU, named after its path; the main file registers every part's functions by their global aliases", () => {
    const set = load("vmlinux-and-module-kallsyms");
    const files = renderLivepatchSet(set, buildSetReport(set, []));
    expect([...files.keys()].filter((f) => f.endsWith(".c")).sort()).toEqual(["livepatch_vmlinux_and_module_drivers_net_dummy.c", "livepatch_vmlinux_and_module_fs_proc_version.c", "livepatch_vmlinux_and_module_main.c"]);
    const main = files.get("livepatch_vmlinux_and_module_main.c")!;
    expect(main).toMatch(/\.name = NULL \/\* vmlinux \*\/,\n\t\t\.funcs = funcs_0,/);
    expect(main).toMatch(/\.name = "dummy",\n\t\t\.funcs = funcs_1,/);
    const dummy = files.get("livepatch_vmlinux_and_module_drivers_net_dummy.c")!;
    expect(dummy).toContain('extern typeof(klpp_dummy_get_stats64) klpp_drivers_net_dummy__dummy_get_stats64 __attribute__((__alias__("klpp_dummy_get_stats64")));');
    expect(main).toContain(".new_func = klpp_drivers_net_dummy__dummy_get_stats64,");
    // vmlinux's symbols at init in its part, dummy's by the notifier its part registers.
    expect(files.get("livepatch_vmlinux_and_module_fs_proc_version.c")!).not.toContain("register_module_notifier");
    expect(dummy).toMatch(/void livepatch_vmlinux_and_module_drivers_net_dummy_exit\(void\)\n\{\n\tunregister_module_notifier\(&klpe_module_nb\);/);
    // A part that fails undoes the parts before it.
    expect(main).toMatch(/fs_proc_version_init\(\);\n\tif \(ret\)\n\t\treturn ret;\n\tret = livepatch_vmlinux_and_module_drivers_net_dummy_init\(\);\n\tif \(ret\)\n\t\tgoto undo_0;/);
    expect(files.get("Kbuild")).toContain("livepatch_vmlinux_and_module-y := livepatch_vmlinux_and_module_main.o ");
  });

  it("report.json names each decision's TU, and explain follows that TU's own chain", () => {
    const set = load("two-modules-klp-reloc");
    const report = buildSetReport(set, []);
    expect(report.patched.map((p) => [p.function, p.object, p.tu])).toEqual([
      ["debug_stat_show", "zram", "drivers/block/zram/zram_drv.c"],
      ["dummy_get_stats64", "dummy", "drivers/net/dummy.c"],
    ]);
    expect(report.externalized.find((e) => e.symbol === "numdummies")?.tu).toBe("drivers/net/dummy.c");
    expect(report.tus?.map((t) => t.file)).toEqual(["livepatch_two_modules_drivers_block_zram_zram_drv.c", "livepatch_two_modules_drivers_net_dummy.c"]);
    const steps = explain(report, "numdummies")!;
    expect(steps[0]!.name).toBe("dummy_get_stats64");
    expect(steps[0]!.handling).toMatch(/^replaced.*; in drivers\/net\/dummy.c$/);
  });
});

describe("calls across the TUs of a fix", () => {
  const set = load("two-vmlinux-files-kallsyms");
  const [cmdline, version] = set.parts;
  const seqPuts = cmdline!.plan.referenced.find((u) => u.name === "seq_puts")!;

  it("a TU that calls what another replaces: KLP-W019 at the caller's TU, naming both", () => {
    // As if cmdline_proc_show called version_proc_show (both vmlinux): a cross-TU call by symbol.
    const calling = { ...cmdline!, plan: { ...cmdline!.plan, referenced: [...cmdline!.plan.referenced, { ...seqPuts, name: "version_proc_show" }], usedBy: { ...cmdline!.plan.usedBy, version_proc_show: "cmdline_proc_show" } } };
    const sink = new DiagnosticSink();
    reportCrossTuCalls({ parts: [calling, version!], sink });
    expect(sink.items.map((d) => [d.code, d.location?.file])).toEqual([["KLP-W019", "fs/proc/cmdline.c"]]);
    expect(sink.items[0]!.message).toMatch(/^cmdline_proc_show \(fs\/proc\/cmdline.c\) calls version_proc_show, which this livepatch replaces in fs\/proc\/version.c/);
  });

  it("near miss: the same name in another object is another function", () => {
    const calling = { ...cmdline!, plan: { ...cmdline!.plan, referenced: [...cmdline!.plan.referenced, { ...seqPuts, name: "version_proc_show", object: "some_module" }] } };
    const sink = new DiagnosticSink();
    reportCrossTuCalls({ parts: [calling, version!], sink });
    reportCrossTuCalls({ parts: set.parts, sink });
    expect(sink.items).toEqual([]);
  });

  it("two TUs that would replace one kernel function: KLP-E058 at the second", () => {
    const dup = { ...version!, plan: { ...version!.plan, patched: [...version!.plan.patched, { ...cmdline!.plan.patched[0]! }] } };
    const sink = new DiagnosticSink();
    refuseDuplicateFunctions({ parts: [cmdline!, dup], sink });
    expect(sink.items.map((d) => [d.code, d.location?.file])).toEqual([["KLP-E058", "fs/proc/version.c"]]);
    expect(sink.items[0]!.message).toContain("both replace vmlinux's cmdline_proc_show");
  });

  it("near miss: the same name at another sympos is another function", () => {
    const other = { ...version!, plan: { ...version!.plan, patched: [...version!.plan.patched, { ...cmdline!.plan.patched[0]!, sympos: 2 }] } };
    const sink = new DiagnosticSink();
    refuseDuplicateFunctions({ parts: [cmdline!, other], sink });
    expect(sink.items).toEqual([]);
  });
});
