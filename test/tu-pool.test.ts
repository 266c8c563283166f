// The TU analyses of a fix run side by side (src/tu-pool.ts): from the TypeScript sources
// every job runs in this thread through the pool's path, and from dist/ (npm run build) on
// worker threads too. Either way the parts and diagnostics are those of a run that takes one
// TU after the other, in the same order, and a failure stops at the first TU that fails, with
// the diagnostics of the TUs before it only. The TUs are users of the header-fix fixture's
// lstats.h (test/fixtures/header-fix/src/d).
import { afterAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DiagnosticSink, StageFailed } from "../src/diagnostics/diagnostic.js";
import { readPatches } from "../src/input/patches.js";
import { readSymbolTable } from "../src/input/kallsyms.js";
import { readSymvers } from "../src/input/symvers.js";
import { applyPatches } from "../src/kbuild/apply-patch.js";
import { analyseHeaderUsers, planHeaderFix, type HeaderFix } from "../src/header-fix.js";
import { analyseTu } from "../src/analyse-tu.js";
import * as srcPool from "../src/tu-pool.js";
import * as srcParallel from "../src/parallel.js";
import type { TuPart } from "../src/model/livepatch-set.js";
import { FIXTURES } from "./golden.js";

const DIR = join(FIXTURES, "header-fix");
const SRC = join(DIR, "src");
const DIST = resolve(import.meta.dirname, "../dist");
const scratch = mkdtempSync(join(tmpdir(), "klp-ccp-tu-pool-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// a_xmit and b_xmit are in the kernel; dev_lstats_add is inlined into them (the dumps).
const KALLSYMS = "ffffffff81000000 T a_xmit\nffffffff81000100 T c_xmit\nffffffff81000200 T bad_xmit\n";
const dump = (tu: string) => `Callgraph clone;dev_lstats_add;1;${SRC}/include/linux/lstats.h;15;20;${tu}_xmit;2;${SRC}/d/${tu}.c;5;5;inlining to\n`;

/**
 * A build tree whose TUs d/<user>.c include lstats.h, each with its kbuild command and IPA
 * dump; the `cold` ones have a dump and an object that never name dev_lstats_add.
 */
function setUp(name: string, users: string[], cold: string[] = []): { build: string; work: string; fix: HeaderFix; patched: Map<string, string>; symbols: string; symvers: string } {
  const build = join(scratch, name);
  mkdirSync(join(build, "d"), { recursive: true });
  for (const u of users) {
    writeFileSync(join(build, "d", `.${u}.o.cmd`), `cmd_d/${u}.o := gcc -D__KERNEL__ -pg -flive-patching=inline-clone -I${SRC}/include -c -o d/${u}.o ${SRC}/d/${u}.c\n\nsource_d/${u}.o := ${SRC}/d/${u}.c\n\ndeps_d/${u}.o := \\\n  include/linux/lstats.h \\\n\n`);
    writeFileSync(join(build, "d", `${u}.c.000i.ipa-clones`), cold.includes(u) ? "" : dump(u));
    if (cold.includes(u)) writeFileSync(join(build, "d", `${u}.o`), `\0${u}_xmit\0`);
  }
  const symbols = join(build, "kallsyms");
  const symvers = join(build, "Module.symvers");
  writeFileSync(symbols, KALLSYMS);
  writeFileSync(symvers, "0x00000000\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n");
  const sink = new DiagnosticSink();
  const patches = readPatches([join(DIR, "patches", "inline-body.patch")], sink)!;
  const work = join(scratch, `work-${name}`);
  const patched = applyPatches(patches.each, SRC, join(work, "tree"), sink)!;
  const fix = planHeaderFix({ patch: patches.all, patched, src: SRC, build, ipaDir: build, work, sink })!;
  expect(sink.items).toEqual([]);
  return { build, work, fix, patched, symbols, symvers };
}

/** What a run gives: the parts (or the stage that failed) and every diagnostic, in order. */
type Outcome = { parts: TuPart[] | string; diagnostics: unknown[] };

function inputs(t: ReturnType<typeof setUp>, sink: DiagnosticSink) {
  const symbols = readSymbolTable(t.symbols, Buffer.from(KALLSYMS), new DiagnosticSink());
  const exports = readSymvers(t.symvers, Buffer.from(""), new DiagnosticSink());
  return { src: SRC, build: t.build, symbols, exports, ipaDir: t.build, mode: "kallsyms" as const, name: "lp", sink };
}

function oneByOne(t: ReturnType<typeof setUp>): Outcome {
  const sink = new DiagnosticSink();
  try {
    return { parts: analyseHeaderUsers({ ...inputs(t, sink), fix: t.fix, title: "t" }), diagnostics: sink.items };
  } catch (e) {
    if (!(e instanceof StageFailed)) throw e;
    return { parts: e.stage, diagnostics: sink.items };
  }
}

async function inPool(t: ReturnType<typeof setUp>, mod: { pool: typeof srcPool; parallel: typeof srcParallel }, progress: string[]): Promise<Outcome> {
  const sink = new DiagnosticSink();
  const { symbols, exports } = inputs(t, sink);
  const setup = { src: SRC, build: t.build, work: t.work, symbols: t.symbols, symvers: t.symvers, ipaDir: t.build, mode: "kallsyms" as const, modulesDirs: [], patched: t.patched, forced: [], timings: false, progress: true };
  const pool = mod.pool.TuPool.open({ setup, jobs: 2, tus: t.fix.users.length, cache: undefined, tables: () => ({ symbols, exports }), progress: (m) => progress.push(m) })!;
  try {
    return { parts: await mod.parallel.headerUsersInPool(pool, { sink, fix: t.fix, name: "lp", title: "t", progress: (m) => progress.push(m) }), diagnostics: sink.items };
  } catch (e) {
    // dist/'s StageFailed is another class than src/'s.
    if ((e as Error).constructor.name !== "StageFailed") throw e;
    return { parts: (e as StageFailed).stage, diagnostics: sink.items };
  } finally {
    await pool.close(false);
  }
}

const distBuilt = existsSync(join(DIST, "tu-pool.js"));
const builds: Array<[string, () => Promise<{ pool: typeof srcPool; parallel: typeof srcParallel }>]> = [
  ["in this thread (TypeScript sources)", async () => ({ pool: srcPool, parallel: srcParallel })],
  ["on worker threads (dist/)", async () => ({ pool: (await import(join(DIST, "tu-pool.js"))) as typeof srcPool, parallel: (await import(join(DIST, "parallel.js"))) as typeof srcParallel })],
];

describe("TU analyses side by side", () => {
  for (const [where, load] of builds) {
    it.skipIf(where.includes("dist") && !distBuilt)(`gives the parts and diagnostics of a run one TU after the other, ${where}`, async () => {
      const t = setUp(`ok-${where.length}`, ["a", "c"]);
      const serial = oneByOne(t);
      expect(typeof serial.parts, JSON.stringify(serial.diagnostics)).not.toBe("string");
      expect((serial.parts as TuPart[]).map((p) => [p.relPath, p.plan.name, p.plan.patched.map((f) => f.name)])).toEqual([
        ["d/a.c", "lp_d_a", ["a_xmit"]],
        ["d/c.c", "lp_d_c", ["c_xmit"]],
      ]);
      const progress: string[] = [];
      const parallel = await inPool(t, await load(), progress);
      expect(JSON.stringify(parallel)).toBe(JSON.stringify(serial));
      // Counted as they finish, in whatever order.
      const done = progress.map((m) => /^header fix: (\d) of 2 TUs done \((.*)\)$/.exec(m)).filter((m) => m !== null);
      expect([done.map((m) => m[1]), done.map((m) => m[2]).sort()]).toEqual([["1", "2"], ["d/a.c", "d/c.c"]]);
    });

    it.skipIf(where.includes("dist") && !distBuilt)(`stops at the first TU that fails, with the diagnostics before it, ${where}`, async () => {
      const t = setUp(`bad-${where.length}`, ["a", "bad", "c"]);
      const serial = oneByOne(t);
      expect(serial.parts).toBe("preprocess");
      // a's warnings, then bad's error; nothing of c, analysed meanwhile in a pool.
      expect((serial.diagnostics as Array<{ code: string; location?: { file: string } }>).map((d) => `${d.code} ${d.location?.file}`).filter((d) => !d.endsWith("d/a.c"))).toEqual(["KLP-E006 d/bad.c"]);
      const parallel = await inPool(t, await load(), []);
      expect(JSON.stringify(parallel)).toBe(JSON.stringify(serial));
    });
  }

  it("skips a TU whose IPA dump and object never name the changed inline without preprocessing it", () => {
    // d/bad.c does not preprocess: the run would stop there if it were.
    const t = setUp("cold", ["a", "bad", "c"], ["bad"]);
    const run = oneByOne(t);
    expect(typeof run.parts, JSON.stringify(run.diagnostics)).not.toBe("string");
    expect((run.parts as TuPart[]).map((p) => p.relPath)).toEqual(["d/a.c", "d/c.c"]);
    expect((run.diagnostics as Array<{ code: string; message: string }>).find((d) => d.code === "KLP-W020")?.message).toMatch(/1 of the 3 TUs .* skipped: d\/bad\.c$/);
  });

  for (const [where, load] of builds) {
    it.skipIf(where.includes("dist") && !distBuilt)(`analyses the .c files of a fix as one TU after the other would, ${where}`, async () => {
      const t = setUp(`two-${where.length}`, ["a", "c"]);
      const sink = new DiagnosticSink();
      const patches = readPatches([join(DIR, "patches", "two-tus.patch")], sink)!;
      const work = join(scratch, `work-two-${where.length}`);
      const patched = applyPatches(patches.each, SRC, join(work, "tree"), sink)!;
      const relPaths = ["d/a.c", "d/c.c"];
      const names = ["lp_d_a", "lp_d_c"];
      const serialSink = new DiagnosticSink();
      const serial = relPaths.map((relPath, i) => analyseTu({ ...inputs(t, serialSink), patch: patches.all, patched, work, relPath, name: names[i]! }));
      const mod = await load();
      const poolSink = new DiagnosticSink();
      const { symbols, exports } = inputs(t, poolSink);
      const setup = { src: SRC, build: t.build, work, symbols: t.symbols, symvers: t.symvers, ipaDir: t.build, mode: "kallsyms" as const, modulesDirs: [], patched, forced: [], timings: false, progress: false };
      const pool = mod.pool.TuPool.open({ setup, jobs: 2, tus: 2, cache: undefined, tables: () => ({ symbols, exports }) })!;
      try {
        for (const relPath of relPaths) pool.preprocess(relPath);
        const plans = await mod.parallel.analyseInPool(pool, { sink: poolSink, patch: patches.all, relPaths, names });
        expect(plans.map((p) => p.patched.map((f) => f.name))).toEqual([["a_xmit"], ["c_xmit"]]);
        expect(JSON.stringify([plans, poolSink.items])).toBe(JSON.stringify([serial, serialSink.items]));
      } finally {
        await pool.close(false);
      }
    });
  }
});
