// Driver for the proof on every run (src/verify/): the whole-module compile and
// the equivalence check.
// - fixtures/verify/equivalence/<case>/: original.c (the kernel's TU) and
//   module.c (a livepatch's copy), each preprocessed by gcc as extract does;
//   expected.txt is what the check reports.
// - fixtures/verify/extract/<case>/: a small tree (src/, include/) extracted
//   with --functions as a livepatch module against stand-in kernel headers
//   (kernel-stub/); expected/ holds stderr, the exit code and, on success, the module.
import { describe, expect, it } from "vitest";
import { cliHarness } from "./cli-harness.js";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { main } from "../src/cli/main.js";
import { DiagnosticSink, formatDiagnostic } from "../src/diagnostics/diagnostic.js";
import { compileModule, ownLines } from "../src/kbuild/module-compile.js";
import { run } from "../src/kbuild/run.js";
import { functionDefinitions, tokenizePreprocessed } from "../src/parse/c-tokens.js";
import { parsePreprocessed } from "../src/parse/preprocessed-tu.js";
import { checkEquivalence } from "../src/verify/check-equivalence.js";
import { verdictKey } from "../src/verify/verify-module.js";
import type { OriginalFunction } from "../src/model/plan.js";
import { FIXTURES, cases, expectGolden } from "./golden.js";

const VERIFY = join(FIXTURES, "verify");

/** Every function original.c defines, as the kernel's .i has it. */
function originalsOf(dir: string): OriginalFunction[] {
  const pp = run(["gcc", "-E", "original.c"], dir);
  expect(pp.status, pp.stderr).toBe(0);
  const tu = parsePreprocessed(pp.stdout);
  const out: OriginalFunction[] = [];
  for (const [name, decls] of tu.decls.inFiles((f) => f === "original.c")) {
    const d = decls.find((x) => x.kind === "function");
    if (d) out.push({ name, markerFile: d.file, line: d.line, file: "original.c", text: pp.stdout.slice(d.start, d.end) });
  }
  return out;
}

describe("equivalence check", () => {
  for (const name of cases("verify/equivalence")) {
    it(name, () => {
      const dir = join(VERIFY, "equivalence", name);
      const originals = originalsOf(dir);
      const compiled = compileModule({ argv: ["gcc", "-O2", "-c", "module.c"], cwd: dir }, "livepatch_t.c", readFileSync(join(dir, "module.c"), "utf8"));
      expect(compiled.ok, JSON.stringify(compiled.errors)).toBe(true);
      const sink = new DiagnosticSink();
      const count = checkEquivalence({ preprocessed: compiled.preprocessed, fileName: "livepatch_t.c", originals, expected: originals.map((f) => f.name), rewrites: { isTuFile: (p) => p === "original.c" }, sink });
      const lines = [...sink.items.map(formatDiagnostic), `compared ${count.compared}, identical ${count.identical}`];
      expectGolden(join(dir, "expected.txt"), `${lines.join("\n")}\n`);
    });
  }

  it("keeps its verdict by the originals' files in the tree, not by the run's temporary work directory", () => {
    const original = (markerFile: string, text = "int f(void) { return 0; }\n"): OriginalFunction => ({ name: "f", markerFile, line: 3, file: "fs/a.c", text });
    const key = (o: OriginalFunction) => verdictKey("int f(void) { return 0; }\n", "livepatch_a.c", [o], ["f"], '"a"');
    expect(key(original("/tmp/klp-ccp-pid0000001-work-AAAAAA/tree/fs/a.c"))).toBe(key(original("/tmp/klp-ccp-pid0000002-work-BBBBBB/tree/fs/a.c")));
    expect(key(original("/tmp/w/tree/fs/a.c"))).not.toBe(key(original("/tmp/w/tree/fs/a.c", "int f(void) { return 1; }\n")));
  });

  it("is an error --force cannot accept", () => {
    const sink = new DiagnosticSink(new Set(["KLP-E043", "KLP-E042"]));
    sink.report({ code: "KLP-E043", severity: "error", message: "differs" });
    sink.report({ code: "KLP-E042", severity: "error", message: "does not compile" });
    expect(sink.items.map((d) => d.severity)).toEqual(["error", "warning"]);
  });
});

describe("ownLines", () => {
  it("keeps the generated file's lines and markers, renamed, and a #line's stretch within it", () => {
    const i = [
      '# 0 "/s/m.c"',
      '# 1 "/s/m.c"',
      '# 1 "/h/a.h" 1',
      "int a;",
      '# 3 "/s/m.c" 2',
      "int b;",
      "# not a marker",
      '# 10 "kernel/x.c"',
      "int c;",
      '# 5 "/h/b.h" 1 3',
      "int d;",
      '# 12 "/s/m.c" 2',
      "int e;",
    ].join("\n");
    const mine = ['# 0 "m.c"', '# 1 "m.c"', '# 3 "m.c" 2', "int b;", "# not a marker", '# 10 "kernel/x.c"', "int c;", '# 12 "m.c" 2', "int e;"];
    expect(ownLines(i, "/s/m.c", "m.c")).toBe(`${mine.join("\n")}\n`);
    // The text after the last newline is a line too, even an empty one.
    expect(ownLines(`${i}\n`, "/s/m.c", "m.c")).toBe(`${mine.join("\n")}\n\n`);
    expect(ownLines('# 1 "/h/a.h"\nint a;\n', "/s/m.c", "m.c")).toBe("\n");
  });
});

describe("tokenizePreprocessed", () => {
  it("places tokens by the line markers and skips directives", () => {
    const text = '# 7 "a.c"\nint x = L\'a\' + 0x1fULL;\n#pragma GCC diagnostic push\ns->f >>= 1.5e+3; u8"s" "t"\n# 2 "b.h" 1\n...\n';
    const tokens = tokenizePreprocessed(text).map((t) => `${t.file}:${t.line}:${t.kind}:${t.text}`);
    expect(tokens).toEqual([
      "a.c:7:identifier:int", "a.c:7:identifier:x", "a.c:7:punctuator:=", "a.c:7:char:L'a'", "a.c:7:punctuator:+", "a.c:7:number:0x1fULL", "a.c:7:punctuator:;",
      "a.c:9:identifier:s", "a.c:9:punctuator:->", "a.c:9:identifier:f", "a.c:9:punctuator:>>=", "a.c:9:number:1.5e+3", "a.c:9:punctuator:;", 'a.c:9:string:u8"s"', 'a.c:9:string:"t"',
      "b.h:2:punctuator:...",
    ]);
  });
});

describe("functionDefinitions", () => {
  it("finds file-scope function definitions, not struct bodies or initializers", () => {
    const text = [
      "struct s { int a; } __attribute__((packed));",
      "struct __attribute__((aligned(8))) { int b; } anon;",
      "static int tbl[2] = { 1, 2 };",
      "typedef struct t { int c; } t_t;",
      "_Static_assert(sizeof(int) == 4, \"int\");",
      "static __attribute__((__unused__)) long klpp_f(const struct pt_regs *regs) __asm__(\"x\") { return ({ int y = 1; y; }); }",
      "static int (*get(void))(int) { return 0; }",
      "int g(int (*cb)(void), int n[3]) { if (n) { return cb(); } return 0; }",
      "enum e { E1 } ev;",
    ].join("\n");
    const tokens = tokenizePreprocessed(text);
    expect(functionDefinitions(tokens).map((f) => `${f.name}:${tokens[f.start]!.text}..${tokens[f.end - 1]!.text}@${tokens[f.start]!.line}`)).toEqual(["klpp_f:static..}@6", "get:static..}@7", "g:int..}@8"]);
  });
});

describe("extract compiles and checks the module", () => {
  const io = cliHarness("klp-ccp-verify-");

  for (const name of cases("verify/extract")) {
    it(name, async () => {
      const dir = join(VERIFY, "extract", name);
      const spec = JSON.parse(readFileSync(join(dir, "args.json"), "utf8")) as { functions: string };
      const source = readdirSync(join(dir, "src")).find((f) => f.endsWith(".c"))!;
      const out = join(io.scratch, "out");
      const code = await main(["extract", "--functions", spec.functions, "--src", dir, "--out", out, "--", "gcc", "-O2", "-I", join(VERIFY, "kernel-stub/include"), "-I", join(dir, "include"), "-c", join(dir, "src", source)]);
      const expected = join(dir, "expected");
      expectGolden(join(expected, "result.txt"), `exit ${code}\n${io.stderr}`);
      const written = existsSync(out) ? readdirSync(out).filter((f) => f.endsWith(".c")) : [];
      for (const f of written) expectGolden(join(expected, f), readFileSync(join(out, f), "utf8"));
      // An error writes nothing; success writes the module the check compiled.
      expect(written.length).toBe(code === 0 ? 1 : 0);
    });
  }
});

describe("compileModule with #line", () => {
  const dir = join(VERIFY, "equivalence", "line-directive");
  it("keeps a copied function under its original's file as the module's own text", () => {
    const r = compileModule({ argv: ["gcc", "-O2", "-c", "module.c"], cwd: dir }, "livepatch_t.c", readFileSync(join(dir, "module.c"), "utf8"));
    expect(r.ok).toBe(true);
    expect(functionDefinitions(tokenizePreprocessed(r.preprocessed)).map((f) => f.name)).toEqual(["klpp_check", "use"]);
  });
  it("places an error in a copied function at the module's line, not the original's", () => {
    const text = readFileSync(join(dir, "module.c"), "utf8").replace("return x;", "return y;");
    const r = compileModule({ argv: ["gcc", "-O2", "-c", "module.c"], cwd: dir }, "livepatch_t.c", text);
    expect(r.ok).toBe(false);
    const line = text.split("\n").findIndex((l) => l.includes("return y;")) + 1;
    expect(r.errors[0]).toMatchObject({ file: "livepatch_t.c", line });
  });
});
