import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { trialCompile } from "../src/kbuild/trial-compile.js";
import { commandFromArgv, preprocessArgv } from "../src/kbuild/compile-command.js";
import { run } from "../src/kbuild/run.js";
import { hasIncludeGuard, headerPrefix } from "../src/kbuild/header-prefix.js";
import { afterPchPragma, filesRead, lookupHeaders, planHeaderCache, prefixEnd, skippedOnceRead, stageEntry } from "../src/kbuild/header-cache.js";
import { PreprocessedTuBuilder, snapshotOf } from "../src/parse/preprocessed-tu.js";
import { originLines } from "../src/parse/line-markers.js";
import { openCacheDir } from "../src/cache/open-cache-dir.js";
import { DiagnosticSink } from "../src/diagnostics/diagnostic.js";

// The include check: a syntax-only compile as a module, cached by gcc's own dependency list.
describe("trialCompile", () => {
  const dir = mkdtempSync(join(tmpdir(), "klp-ccp-trial-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const header = join(dir, "hidden.h");
  // Like asm/tlbflush.h: content a module does not see.
  writeFileSync(header, "#ifndef MODULE\nstatic inline int hidden(void) { return 1; }\n#endif\n");
  const user = join(dir, "user.h");
  writeFileSync(user, '#include "hidden.h"\nstatic inline int uses(void) { return hidden(); }\n');
  const compile = { argv: ["gcc", "-O2", "-Werror=implicit-function-declaration", "-I", dir, "-c", "tu.c", "-o", "tu.o"], cwd: dir };
  const cache = openCacheDir(join(dir, "cache"), new DiagnosticSink())!;

  it("reports the header a module build fails in", () => {
    const r = trialCompile(compile, '#include "user.h"\n');
    expect(r.ok).toBe(false);
    expect(r.errorFiles).toEqual([user]);
    expect(r.firstError).toMatch(/implicit declaration of function .hidden./);
  });

  it("answers again from the cache while no file it read changed", () => {
    let compiled = 0;
    const first = trialCompile(compile, '#include "hidden.h"\nint x;\n', cache, () => compiled++);
    const second = trialCompile(compile, '#include "hidden.h"\nint x;\n', cache, () => compiled++);
    expect([first.ok, first.cached, second.ok, second.cached, compiled]).toEqual([true, undefined, true, true, 1]);
  });

  it("compiles again when a header it read changed, or the text differs", () => {
    let compiled = 0;
    const text = '#include "user.h"\nint y;\n';
    trialCompile(compile, text, cache, () => compiled++);
    utimesSync(header, new Date(), new Date(Date.now() + 5000));
    const again = trialCompile(compile, text, cache, () => compiled++);
    trialCompile(compile, `${text}int z;\n`, cache, () => compiled++);
    expect([again.cached, compiled]).toEqual([undefined, 3]);
  });
});

// The header cache: a PCH of the #include block, and the kept headers' part of the .i plus the rest
// of the file preprocessed with that PCH must be the .i a full run gives.
describe("header cache", () => {
  const dir = mkdtempSync(join(tmpdir(), "klp-ccp-headers-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "src"));
  const files: Record<string, string> = {
    "src/forced.h": "#define FORCED 7\n",
    "src/a.h": "#ifndef A_H\n#define A_H\n#define A_VALUE 1\nstruct a { int x; };\n#endif\n",
    "src/b.h": '#include "a.h"\n#define B_VALUE (A_VALUE + FORCED)\nint b_fn(struct a *);\n',
    "src/late.h": "#define LATE(x) ((x) * 2)\n",
    // Not ASCII: the kept text is read back as UTF-8 (an all-ASCII one as latin1).
    "src/utf8.h": '#define GREETING "Samma p\u00e5 svenska \u{1F600}"\n',
    // Read again after the cut: a guarded header the kept part read (gcc skips it in a full run).
    "src/c.h": '/* c */\n#include "a.h"\nint c_fn(struct a *);\n',
  };
  for (const [f, t] of Object.entries(files)) writeFileSync(join(dir, f), t);
  const source = [
    "// SPDX-License-Identifier: GPL-2.0",
    "/* a comment that mentions",
    "   #include <nothing.h> */",
    '#define pr_fmt(fmt) "x: " fmt',
    '#include "a.h"',
    "#ifdef NEVER",
    '#include "never.h"',
    "#endif",
    '#include "b.h"',
    '#include "a.h"',
    "",
    "static int f(void) { return A_VALUE + B_VALUE + __LINE__; }",
    '#include "late.h"',
    '#include "c.h"',
    "int g(void) { return LATE(f()) + sizeof(pr_fmt(\"y\")); }",
    "",
  ].join("\n");
  const cmd = commandFromArgv(["gcc", "-include", "src/forced.h", "-I", "src", "-O2", "-c", "src/main.c", "-o", "main.o"], dir);

  it("cuts the file after its last top-level #include of the leading directives", () => {
    expect(headerPrefix(source)?.lines).toBe(10);
    expect(hasIncludeGuard(files["src/a.h"]!)).toBe(true);
    expect(hasIncludeGuard("/* x */\n#if !defined(G)\n#define G\n#endif /* G */\n")).toBe(true);
    expect(hasIncludeGuard(files["src/b.h"]!)).toBe(false);
    expect(hasIncludeGuard("#ifndef G\n#define G\n#endif\nint after;\n")).toBe(false);
    expect(hasIncludeGuard("#ifndef G\n#endif\n#ifndef H\n#endif\n")).toBe(false);
    expect(headerPrefix("int x;\n#include <a.h>\n")).toBeUndefined();
    expect(headerPrefix('#ifdef X\n#include "a.h"\n#endif\nint x;\n')).toBeUndefined();
    expect(headerPrefix('#include "a.h"\n#define M \\\n  1\n#include "b.h" /* c */\nint x;\n')?.lines).toBe(4);
  });

  it("reads comments and quotes the way gcc does around a guard", () => {
    // A comment closing on the #endif's line, strings and characters holding comment openers.
    expect(hasIncludeGuard('#ifndef G /* a\n b */\n#define S "/*" \'/\' "\\"//"\n#endif /* x\n y */\n')).toBe(true);
    // What follows a string holding "/*" is code: after the guard, it is not guarded.
    expect(hasIncludeGuard('#ifndef G\n#endif\nchar *s = "/*"; /* */\n')).toBe(false);
    // A comment that opens on a code line hides the rest of it, and the lines up to its end.
    expect(hasIncludeGuard("#ifndef G\n#endif /* x\nint after;\n*/\n")).toBe(true);
    expect(hasIncludeGuard("#ifndef G\n#endif // x\n// int after;\n")).toBe(true);
    expect(hasIncludeGuard("#ifndef G\n#endif /* x */\nint /* y */ after;\n")).toBe(false);
  });

  // The block ends with a header gcc enters (it leaves it with a `# 11 "main.c" 2` marker), or with one
  // its include guard makes it skip (no marker: the rest follows the #include line at once).
  for (const [label, text, start] of [
    ["a header it enters", source.replace('#include "a.h"\n\n', '#include "late.h"\n\n'), /^# 11 ".*main\.c" 2\n/],
    ["a header it skips (and text that is not ASCII)", source.replace('#include "b.h"\n', '#include "b.h"\n#include "utf8.h"\n'), /^\nstatic int f/],
  ] as const) {
    it(`gives a full run's .i from the kept headers and the rest of the file: the block ends with ${label}`, () => {
      const cache = openCacheDir(mkdtempSync(join(dir, "cache")), new DiagnosticSink())!;
      const preprocess = (work: string) => {
        mkdirSync(join(work, "src"), { recursive: true });
        const mainPath = join(work, "src/main.c");
        writeFileSync(mainPath, text);
        const ppArgv = preprocessArgv(cmd, join(dir, "src/main.c"), mainPath);
        const full = run(ppArgv, dir);
        expect(full.status).toBe(0);
        const plan = planHeaderCache({ cache, ppArgv, cmd, mainPath, source: text })!;
        return { mainPath, full: full.stdout, plan };
      };
      // The first run keeps the headers.
      const first = preprocess(mkdtempSync(join(dir, "w")));
      const scan = parsePreprocessedScan(first.full);
      const end = prefixEnd(scan.markers, scan.lineStarts, first.mainPath, first.plan.prefix.lines);
      expect(first.full.slice(end)).toMatch(start);
      const prefixText = first.full.slice(0, end);
      const snap = snapshotOf(prefixText)!;
      const finish = stageEntry(first.plan, prefixText, snap, filesRead(snap, dir))!;
      // One build per entry at a time; the finishing command builds the PCH and moves the entry into place.
      expect(stageEntry(first.plan, prefixText, snap, filesRead(snap, dir))).toBeUndefined();
      expect(lookupHeaders(first.plan)).toBeUndefined();
      expect(run(finish, dir).status).toBe(0);
      // A later run, from another directory of the same length, takes them.
      const second = preprocess(mkdtempSync(join(dir, "w")));
      expect(second.plan.entry).toBe(first.plan.entry);
      const hit = lookupHeaders(second.plan)!.load()!;
      expect(hit).toBeDefined();
      expect(hit.prefixText).toBe(prefixText.replaceAll(first.mainPath, second.mainPath));
      let out = "";
      const body = afterPchPragma({ returning: hit.snapshot.curFile !== second.mainPath, skips: skippedOnceRead(hit.snapshot, dir) }, (piece) => (out += piece));
      const r = run(lookupHeaders(second.plan)!.argv, dir);
      expect(r.status).toBe(0);
      for (let i = 0; i < r.stdout.length; i += 7) body.push(r.stdout.slice(i, i + 7));
      body.end();
      expect(body.used()).toBe(true);
      expect(originLines(hit.prefixText + out)).toEqual(originLines(second.full));
      // A header read before the cut that changed makes the entry stale; one read after it does not.
      utimesSync(join(dir, "src/forced.h"), new Date(), new Date(Date.now() + 5000));
      expect(lookupHeaders(second.plan)).toBeUndefined();
    }, 60_000); // four gcc runs and a PCH build: slow on a loaded 2-core machine
  }

  it("remembers a PCH gcc could not build, and does not try again", () => {
    const cache = openCacheDir(mkdtempSync(join(dir, "cache")), new DiagnosticSink())!;
    const mainPath = join(dir, "src/main.c");
    writeFileSync(mainPath, source);
    const ppArgv = preprocessArgv(cmd, mainPath, mainPath);
    const plan = planHeaderCache({ cache, ppArgv, cmd, mainPath, source })!;
    const full = run(ppArgv, dir).stdout;
    const scan = parsePreprocessedScan(full);
    const prefixText = full.slice(0, prefixEnd(scan.markers, scan.lineStarts, mainPath, plan.prefix.lines));
    const snap = snapshotOf(prefixText)!;
    const broken = { ...plan, baseArgv: [...plan.baseArgv, "-fno-such-option-klp"] };
    expect(run(stageEntry(broken, prefixText, snap, [])!, dir).status).toBe(0);
    expect(lookupHeaders(plan)).toBeUndefined();
    expect(stageEntry(plan, prefixText, snap, [])).toBeUndefined();
  });
});

function parsePreprocessedScan(text: string): { markers: Array<{ iLine: number; line: number; file: string; flags: number[] }>; lineStarts: number[] } {
  const b = new PreprocessedTuBuilder();
  b.push(text);
  b.finish();
  return b.scan!;
}
