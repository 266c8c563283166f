// A driver's own trace event (a private trace header, included with quotes: fs/nfs/nfs4trace.h,
// drivers/block/null_blk/trace.h) goes through the same klpr_trace_X copy as a kernel header's
// tracepoint (src/closure/private-trace.ts, src/decide/private-tracepoints.ts), on a small TU
// (test/fixtures/decide/tracepoint-private, with the stand-in tracepoint.h of the tracepoint fixture).
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DiagnosticSink } from "../src/diagnostics/diagnostic.js";
import { run } from "../src/kbuild/run.js";
import { parsePreprocessed } from "../src/parse/preprocessed-tu.js";
import { parseSourceFile } from "../src/parse/source-file.js";
import { computeClosure } from "../src/closure/closure.js";
import { retargetTracepoints, tracepointCopy } from "../src/decide/tracepoints.js";
import { placePrivateTracepoints } from "../src/decide/private-tracepoints.js";
import type { OutputPiece } from "../src/model/plan.js";
import type { TranslationUnit } from "../src/model/tu.js";
import { tuFixture } from "./tu-fixture.js";
import { FIXTURES, expectGolden } from "./golden.js";

const DIR = join(FIXTURES, "decide", "tracepoint-private");
const INCLUDE = join(FIXTURES, "decide", "tracepoint", "include");

function demoTu(): TranslationUnit {
  const pp = run(["gcc", "-E", "-dD", "-I", INCLUDE, "demo.c"], DIR);
  expect(pp.status, pp.stderr).toBe(0);
  const tu = parsePreprocessed(pp.stdout);
  const main = parseSourceFile("demo.c", readFileSync(join(DIR, "demo.c"), "utf8"));
  const header = parseSourceFile("demo_trace.h", readFileSync(join(DIR, "demo_trace.h"), "utf8"));
  const markerToRel = new Map([...tu.files].map((f) => [f, existsSync(join(DIR, f)) ? f : f.replace(`${INCLUDE}/`, "")]));
  return tuFixture({ relPath: "demo.c", main, localHeaders: new Map([["demo_trace.h", header]]), tu, markerToRel, object: "demo_mod", sourceDirs: [DIR, INCLUDE] });
}

describe("a driver's private trace events", () => {
  const ctx = demoTu();
  const closure = (privateTraceInlines: boolean) => computeClosure({ ctx, patched: ["demo_run"], hasOwnSymbol: () => false, privateTraceInlines, sink: new DiagnosticSink() });

  it("are walked as header code and retargeted to the iterator", () => {
    const found = closure(true);
    expect(found.headerInlines.has("trace_demo_zone_op")).toBe(true);
    expect(found.copiedFunctions.has("trace_demo_zone_op")).toBe(false);
    const { closure: retargeted, tracepoints } = retargetTracepoints({ ctx, closure: found });
    expect(Object.fromEntries(tracepoints)).toEqual({ trace_demo_zone_op: "demo_zone_op" });
    const names = [...retargeted.symbols.keys()];
    expect(names).toEqual(expect.arrayContaining(["__traceiter_demo_zone_op", "__tracepoint_demo_zone_op"]));
    expect(names.filter((n) => /^__SC[KT]__/.test(n))).toEqual([]);
    const renameTo = (n: string) => (/^__(?:tracepoint|traceiter)_/.test(n) ? `(*klpe_${n})` : undefined);
    expectGolden(join(DIR, "expected-trace_demo_zone_op.c"), `${tracepointCopy(ctx, "trace_demo_zone_op", "demo_zone_op", renameTo, () => {})}\n`);
  });

  it("a condition that calls a module function named like its event: the call is renamed, the event's name is not", () => {
    const renameTo = (n: string) => (/^__(?:tracepoint|traceiter)_/.test(n) || n === "demo_over" ? `(*klpe_${n})` : undefined);
    const renamed: string[] = [];
    const text = tracepointCopy(ctx, "trace_demo_over", "demo_over", renameTo, (n) => renamed.push(n))!;
    expectGolden(join(DIR, "expected-trace_demo_over.c"), `${text}\n`);
    expect(renamed).toContain("demo_over");
    expect(text).toMatch(/__DO_TRACE\(demo_over,/);
    expect(text).toMatch(/\(\(\*klpe_demo_over\)\(r, zone\)\)/);
  });

  it("near misses: a local inline named like one without its tracepoint, and the option off (klp-reloc for vmlinux)", () => {
    expect(closure(true).copiedFunctions.has("trace_demo_not_traced")).toBe(true);
    const off = closure(false);
    expect(off.copiedFunctions.has("trace_demo_zone_op")).toBe(true);
    expect(off.headerInlines.has("trace_demo_zone_op")).toBe(false);
  });

  it("the copy goes after the private header's declarations of its tracepoint, a header tracepoint's stays", () => {
    const p = (text: string, kind: OutputPiece["kind"], origin = "demo_trace.h", note?: string): OutputPiece => ({ origin, line: 0, kind, text, ...(note ? { note } : {}) });
    const copy = p("static inline void klpr_trace_demo_zone_op(void) {}", "function", "klp-ccp", "tracepoint inline trace_demo_zone_op (made by the trace macros) copied as klpr_trace_demo_zone_op: ...");
    const body = [copy, p("struct demo_req { int op; };", "type"), p("static struct tracepoint *klpe___tracepoint_demo_zone_op;", "externalized"), p("static int (*klpe___traceiter_demo_zone_op)(void *, struct demo_req *, int);", "externalized"), p("void klpp_demo_run(void) {}", "patched-function", "demo.c")];
    const placed = placePrivateTracepoints(ctx, body, new Map([["trace_demo_zone_op", "demo_zone_op"]]));
    expect(placed.map((x) => x.text.slice(0, 24))).toEqual([body[1], body[2], body[3], copy, body[4]].map((x) => x!.text.slice(0, 24)));
    expect(placePrivateTracepoints(ctx, body, new Map([["trace_demo_zone_op", "demo_fire"]]))).toEqual(body);
  });
});
