// Driver for the closure's classes of hard cases (issue 15): each
// test/fixtures/closure-classes/<case> is a small C project (case.json: the
// file, its extra compile flags, the functions to carve, a near miss among
// them). For every carve the closure must compile cleanly with the file's own
// command, match its golden expected-<functions>.c, and every carved function,
// preprocessed, must be the same token sequence as in the original TU.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../src/cli/main.js";
import { FIXTURES, cases, expectGolden } from "./golden.js";
import { functionTokens } from "./function-tokens.js";

const STAGE = "closure-classes";
const CFLAGS = ["-std=gnu11", "-Wall", "-Werror"];

interface CaseSpec {
  file: string;
  /** Source tree root relative to the case (default: the file's directory). */
  src?: string;
  /** Extra compile flags; {dir} is the case directory. */
  args: string[];
  /** Flags the closure alone is compiled with (-DMODULE: the livepatch is a module, the TU was built in). */
  closureArgs?: string[];
  /** Comma-separated function lists, one closure each. */
  carve: string[];
}

async function carve(functions: string, args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += String(s)), true));
  try {
    return { code: await main(["extract", "--functions", functions, "--output-closure-only", ...args]), stderr };
  } finally {
    spy.mockRestore();
  }
}

/** gcc -E -P of a file or of stdin text. */
function preprocess(flags: string[], file: string | undefined, input?: string): string {
  const r = spawnSync("gcc", [...flags, "-E", "-P", ...(file ? [file] : ["-x", "c", "-"])], { encoding: "utf8", ...(input !== undefined ? { input } : {}) });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe("closure classes", () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), "klp-ccp-closure-classes-"));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  for (const name of cases(STAGE).filter((c) => c !== "8-non-c")) {
    const dir = join(FIXTURES, STAGE, name);
    const spec = JSON.parse(readFileSync(join(dir, "case.json"), "utf8")) as CaseSpec;
    const flags = [...CFLAGS, ...spec.args.map((a) => a.replaceAll("{dir}", dir))];
    const file = join(dir, spec.file);
    for (const functions of spec.carve) {
      it(`${name}: ${functions}`, async () => {
        const target = join(out, `${name}-${functions.replace(/,/g, "_")}.c`);
        const src = spec.src ? ["--src", join(dir, spec.src)] : [];
        const r = await carve(functions, [...src, "--out", target, "--", "gcc", ...flags, "-c", file]);
        expect(r.code, r.stderr).toBe(0);
        const text = readFileSync(target, "utf8");
        expectGolden(join(dir, `expected-${functions.replace(/,/g, "_")}.c`), text);
        // Compiled where the original's quoted includes cannot be found: what it needs is in it.
        const closureFlags = [...flags, ...(spec.closureArgs ?? [])];
        const cc = spawnSync("gcc", [...closureFlags, "-Wno-unused-function", "-fsyntax-only", target], { encoding: "utf8", cwd: out });
        expect(cc.stderr).toBe("");
        expect(cc.status).toBe(0);
        // And with the TU's own command, as closure-compile.sh compiles it.
        if (spec.closureArgs) expect(spawnSync("gcc", [...flags, "-Wno-unused-function", "-fsyntax-only", target], { encoding: "utf8", cwd: out }).stderr).toBe("");
        const original = preprocess(flags, file);
        const carved = preprocess(closureFlags, target);
        for (const fn of functions.split(",")) {
          const want = functionTokens(original, fn);
          expect(want.length, `${fn} in the original`).toBeGreaterThan(0);
          // The documented rewrites of closure-only output: an externalized x is (*klpe_x), a header
          // inline that reaches one is copied as klpr_x.
          expect(functionTokens(carved, fn).join(" ").replace(/\( \* klpe_(\w+) \)/g, "$1").replace(/\bklpr_(\w+)/g, "$1")).toBe(want.join(" "));
        }
      });
    }
  }

  it("8-non-c: a C++ file is a usage error (exit 2), its C twin carves", async () => {
    const dir = join(FIXTURES, STAGE, "8-non-c");
    const cpp = await carve("f", ["--out", join(out, "cpp.c"), "--", "g++", "-c", join(dir, "f.cpp")]);
    expect(cpp.code).toBe(2);
    expect(cpp.stderr).toMatch(/error KLP-E019: --functions carves functions out of C files: .*f\.cpp is not a \.c file/);
    expect(cpp.stderr).not.toMatch(/internal error/);
    const c = await carve("f", ["--out", join(out, "c.c"), "--", "gcc", "-c", join(dir, "f.c")]);
    expect(c.code, c.stderr).toBe(0);
  });

  it("functionTokens finds a definition, not a call or a prototype", () => {
    const text = "int g(int); int h(void) { return g(1); }\nint g(int x) { return x; }";
    expect(functionTokens(text, "g").join(" ")).toBe("g ( int x ) { return x ; }");
    expect(functionTokens(text, "nope")).toEqual([]);
  });
});
