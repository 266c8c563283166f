// `extract --dump-stage PASS` on the bundled example: every declared pass
// (src/passes.ts) can be dumped, its output is JSON, nothing is written, and
// each pass's output is the golden test/fixtures/passes/example/PASS.json
// (the example's path written $EXAMPLE).
import { describe, expect, it, vi } from "vitest";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { main } from "../src/cli/main.js";
import { PASS_NAMES } from "../src/passes.js";
import { cliHarness } from "./cli-harness.js";
import { FIXTURES, expectGolden } from "./golden.js";

const EXAMPLE = resolve(import.meta.dirname, "../examples/meminfo");

describe("extract --dump-stage", () => {
  const io = cliHarness("klp-ccp-passes-");

  it("declares the passes in the order they run", () => {
    expect(PASS_NAMES).toEqual(["fix", "apply", "tables", "tus", "plans", "set", "report", "files"]);
  });

  for (const pass of PASS_NAMES) {
    it(pass, async () => {
      let stdout = "";
      vi.spyOn(process.stdout, "write").mockImplementation((s) => {
        stdout += String(s);
        return true;
      });
      const out = join(io.scratch, "out");
      const code = await main(["extract", "--example", "--out", out, "--dump-stage", pass, "--no-cache", "-q"]);
      expect({ code, stderr: io.stderr }).toEqual({ code: 0, stderr: "" });
      expect(existsSync(out)).toBe(false);
      const dumped = JSON.parse(stdout) as unknown;
      expectGolden(join(FIXTURES, "passes", "example", `${pass}.json`), `${JSON.stringify(dumped, null, 2).replaceAll(EXAMPLE, "$EXAMPLE")}\n`);
    });
  }

  it("is refused with --functions, whose run has no such passes", async () => {
    const code = await main(["extract", "--functions", "f", "--output-closure-only", "--dump-stage", "fix", "--", "gcc", "-c", "f.c"]);
    expect(code).toBe(2);
    expect(io.stderr).toMatch(/KLP-E019: --dump-stage is for a --patch run/);
  });

  it("refuses a pass that is not declared", async () => {
    const code = await main(["extract", "--example", "--dump-stage", "closure", "--no-cache"]);
    expect(code).toBe(2);
    expect(io.stderr).toMatch(/--dump-stage.*closure/);
  });
});
