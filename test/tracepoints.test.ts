// kallsyms mode's tracepoint copies (src/decide/tracepoints.ts), on a small TU
// (test/fixtures/decide/tracepoint: a stand-in tracepoint.h with the kernel's
// macro shapes, a trace header with a plain and a conditional event, and a .c
// that fires both): the closure is retargeted from the static call to the
// iterator, and each trace_X inline is copied from __DECLARE_TRACE's body with
// the macro's arguments put back (expected-*.c).
import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DiagnosticSink } from "../src/diagnostics/diagnostic.js";
import { run } from "../src/kbuild/run.js";
import { parsePreprocessed } from "../src/parse/preprocessed-tu.js";
import { parseSourceFile } from "../src/parse/source-file.js";
import { computeClosure } from "../src/closure/closure.js";
import { retargetTracepoints, tracepointCopy, tracepointIterators, tracepointIteratorsIn, tracepointPieces } from "../src/decide/tracepoints.js";
import { balancedEnd, macroFunction, splitTopLevel } from "../src/decide/tracepoint-text.js";
import type { TranslationUnit } from "../src/model/tu.js";
import { tuFixture } from "./tu-fixture.js";
import { FIXTURES, expectGolden } from "./golden.js";
import { functionTokens } from "./function-tokens.js";

const DIR = join(FIXTURES, "decide", "tracepoint");

function demoTu(file = "demo.c"): TranslationUnit {
  const pp = run(["gcc", "-E", "-dD", "-I", "include", file], DIR);
  expect(pp.status, pp.stderr).toBe(0);
  const tu = parsePreprocessed(pp.stdout);
  const main = parseSourceFile(file, readFileSync(join(DIR, file), "utf8"));
  const markerToRel = new Map([...tu.files].filter((f) => existsSync(join(DIR, f))).map((f) => [f, f]));
  return tuFixture({ relPath: file, main, tu, markerToRel, sourceDirs: [DIR] });
}

describe("tracepoint inlines in kallsyms mode", () => {
  const ctx = demoTu();
  const closure = computeClosure({ ctx, patched: ["demo_run"], hasOwnSymbol: () => false, sink: new DiagnosticSink() });

  it("the closure reaches the iterator, not the static call", () => {
    expect([...closure.symbols.keys()]).toContain("__SCT__tp_func_demo_fire");
    const { closure: retargeted, tracepoints } = retargetTracepoints({ ctx, closure });
    expect(Object.fromEntries(tracepoints)).toEqual({ trace_demo_cond: "demo_cond", trace_demo_fire: "demo_fire", trace_demo_fire_enabled: "demo_fire" });
    const names = [...retargeted.symbols.keys()].sort();
    expect(names).toEqual(expect.arrayContaining(["__traceiter_demo_cond", "__traceiter_demo_fire", "__tracepoint_demo_fire"]));
    expect(names.filter((n) => /^__SC[KT]__/.test(n))).toEqual([]);
    expect([...retargeted.headerInlines.get("trace_demo_fire")!.uses].sort()).toEqual(["__traceiter_demo_fire", "__tracepoint_demo_fire", "cpu_online", "ct_irq_enter_irqson", "ct_irq_exit_irqson", "raw_smp_processor_id", "static_key_false"]);
  });

  it("copies each inline from the macro's body, with the event's prototype, arguments and condition", () => {
    const renameTo = (n: string) => (/^__(?:tracepoint|traceiter)_/.test(n) ? `(*klpe_${n})` : /^trace_/.test(n) ? `klpr_${n}` : undefined);
    const renamed: string[] = [];
    for (const name of ["trace_demo_fire", "trace_demo_cond", "trace_demo_fire_enabled"]) {
      const text = tracepointCopy(ctx, name, name === "trace_demo_cond" ? "demo_cond" : "demo_fire", renameTo, (n) => renamed.push(n));
      expectGolden(join(DIR, `expected-${name}.c`), `${text}\n`);
    }
    expect([...new Set(renamed)].sort()).toEqual(["__tracepoint_demo_cond", "__tracepoint_demo_fire"]);
    const [iterators] = tracepointIterators(["demo_fire", "demo_cond"], renameTo, () => {});
    expectGolden(join(DIR, "expected-iterators.c"), `${iterators!.text}\n`);
    expect(tracepointIteratorsIn([iterators!])).toContain("#define __DO_TRACE_CALL(name, args) __traceiter_##name(NULL, args)");
    expect(tracepointIteratorsIn([{ ...iterators!, note: "another" }])).toBeUndefined();
  });

  it("the copies, preprocessed, are the TU's inlines read with __DO_TRACE_CALL calling the iterator", () => {
    const renameTo = (n: string) => (/^__(?:tracepoint|traceiter)_/.test(n) ? `(*klpe_${n})` : undefined);
    const names = { trace_demo_fire: "demo_fire", trace_demo_cond: "demo_cond" };
    const [iterators] = tracepointIterators(Object.values(names), renameTo, () => {});
    const module = [
      "#include <trace/events/demo.h>",
      "static struct tracepoint *klpe___tracepoint_demo_fire, *klpe___tracepoint_demo_cond;",
      "static int (*klpe___traceiter_demo_fire)(void *, int, struct demo *);",
      "static int (*klpe___traceiter_demo_cond)(void *, int);",
      iterators!.text,
      ...Object.entries(names).map(([n, e]) => tracepointCopy(ctx, n, e, renameTo, () => {})!),
    ].join("\n");
    const copy = run(["gcc", "-E", "-P", "-I", "include", "-x", "c", "-"], DIR, module);
    expect(copy.status, copy.stderr).toBe(0);
    const scratch = mkdtempSync(join(tmpdir(), "klp-ccp-tracepoints-"));
    writeFileSync(join(scratch, "redefinitions.h"), `${tracepointIteratorsIn([iterators!])!}\n`);
    const reread = run(["gcc", "-E", "-P", "-I", "include", "-include", join(scratch, "redefinitions.h"), "demo.c"], DIR);
    rmSync(scratch, { recursive: true, force: true });
    expect(reread.status, reread.stderr).toBe(0);
    for (const name of Object.keys(names)) {
      const want = functionTokens(reread.stdout, name).join(" ");
      expect(want).toContain("__traceiter_");
      expect(functionTokens(copy.stdout, `klpr_${name}`).join(" ").replace(/\( \* klpe_(\w+) \)/g, "$1").replace(/\bklpr_/g, "")).toBe(want);
    }
  });

  it("an inline no trace macro makes is not a tracepoint copy", () => {
    expect(tracepointCopy(ctx, "demo_run", "demo_fire", () => undefined, () => {})).toBeUndefined();
  });
});

describe("trace_X_rcuidle, which a module build lacks", () => {
  const ctx = demoTu("demo_rcuidle.c");
  const closure = computeClosure({ ctx, patched: ["demo_idle"], hasOwnSymbol: () => false, sink: new DiagnosticSink() });
  const renameTo = (n: string) => (/^__(?:tracepoint|traceiter)_|^ct_irq_/.test(n) ? `(*klpe_${n})` : /^trace_/.test(n) ? `klpr_${n}` : undefined);

  it("klp-reloc for vmlinux: only the rcuidle inline is retargeted; trace_X keeps its static call", () => {
    const { closure: retargeted, tracepoints } = retargetTracepoints({ ctx, closure, moduleLacksOnly: true });
    expect(Object.fromEntries(tracepoints)).toEqual({ trace_demo_fire_rcuidle: "demo_fire" });
    expect([...retargeted.symbols.keys()]).toEqual(expect.arrayContaining(["__SCT__tp_func_demo_fire", "__traceiter_demo_fire"]));
    expect(retargeted.headerInlines.get("trace_demo_fire")!.uses.has("__SCT__tp_func_demo_fire")).toBe(true);
    // kallsyms: both are copied, and nothing keeps the static call.
    const all = retargetTracepoints({ ctx, closure });
    expect([...all.tracepoints.keys()].sort()).toEqual(["trace_demo_fire", "trace_demo_fire_rcuidle"]);
    expect([...all.closure.symbols.keys()].filter((n) => /^__SC[KT]__/.test(n))).toEqual([]);
  });

  it("is copied from __DECLARE_TRACE_RCU, and the check reads the original with vmlinux's definition", () => {
    const { tracepoints } = retargetTracepoints({ ctx, closure, moduleLacksOnly: true });
    const { pieces, failed } = tracepointPieces(ctx, ["trace_demo_fire_rcuidle"], tracepoints, renameTo, () => {});
    expect(failed).toEqual([]);
    expectGolden(join(DIR, "expected-trace_demo_fire_rcuidle.c"), `${pieces.at(-1)!.text}\n`);
    const redefinitions = tracepointIteratorsIn(pieces)!;
    expect(redefinitions).toMatch(/#undef __DECLARE_TRACE_RCU\n#define __DECLARE_TRACE_RCU\(name, ?proto, ?args, ?cond\) static inline void trace_ ?##/);
    // Without a copied rcuidle inline there is no such redefinition.
    const plain = tracepointPieces(ctx, ["trace_demo_fire"], new Map([["trace_demo_fire", "demo_fire"]]), renameTo, () => {});
    expect(tracepointIteratorsIn(plain.pieces)).not.toContain("__DECLARE_TRACE_RCU");
    // As a module, the TU has no trace_demo_fire_rcuidle; read with the redefinitions it has the one the copy matches.
    const scratch = mkdtempSync(join(tmpdir(), "klp-ccp-tracepoints-"));
    writeFileSync(join(scratch, "redefinitions.h"), `${redefinitions}\n`);
    const asModule = run(["gcc", "-E", "-P", "-DMODULE", "-I", "include", "demo_rcuidle.c"], DIR);
    const reread = run(["gcc", "-E", "-P", "-DMODULE", "-I", "include", "-include", join(scratch, "redefinitions.h"), "demo_rcuidle.c"], DIR);
    const module = ["#include <trace/events/demo.h>", "static struct tracepoint *klpe___tracepoint_demo_fire;", "static int (*klpe___traceiter_demo_fire)(void *, int, struct demo *);", ...pieces.map((p) => p.text)].join("\n");
    const copy = run(["gcc", "-E", "-P", "-DMODULE", "-I", "include", "-x", "c", "-"], DIR, module);
    rmSync(scratch, { recursive: true, force: true });
    expect([asModule.status, reread.status, copy.status], reread.stderr + copy.stderr).toEqual([0, 0, 0]);
    expect(functionTokens(asModule.stdout, "trace_demo_fire_rcuidle")).toEqual([]);
    const want = functionTokens(reread.stdout, "trace_demo_fire_rcuidle").join(" ");
    expect(want).toContain("ct_irq_enter_irqson");
    expect(functionTokens(copy.stdout, "klpr_trace_demo_fire_rcuidle").join(" ").replace(/\( \* klpe_(\w+) \)/g, "$1").replace(/\bklpr_/g, "")).toBe(want);
  });
});

describe("macro body text", () => {
  it("finds a function by its name template and its closing brace", () => {
    const body = "extern int x_##name(void); static inline int\n a_##name##_b(int (*f)(void)) { if (f) { return \"}\"[0]; } return 0; } static inline void c(void) {}";
    const fn = macroFunction(body, (t) => t.replace(/\s/g, "") === "a_##name##_b");
    expect(fn?.text).toBe("static inline int\n a_##name##_b(int (*f)(void)) { if (f) { return \"}\"[0]; } return 0; }");
    expect(macroFunction(body, () => false)).toBeUndefined();
    expect(balancedEnd("f(a, (b), c) d", 1)).toBe(11);
    expect(balancedEnd("f(a", 1)).toBeUndefined();
    expect(splitTopLevel("int a, void (*cb)(int, long), char n[2]")).toEqual(["int a", "void (*cb)(int, long)", "char n[2]"]);
  });
});
