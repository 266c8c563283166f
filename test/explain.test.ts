// Driver for explain over a real report (the bundled example's golden
// report.json): every symbol the report decides about has a chain that starts
// at a replaced function and ends at the symbol.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { main } from "../src/cli/main.js";
import { explain } from "../src/decide/explain.js";
import type { Report } from "../src/model/report.js";
import { FIXTURES, expectGolden, json, read } from "./golden.js";

const report = JSON.parse(read("extract", "meminfo-example", "expected", "report.json")) as Report;
const names = [...new Set([...report.patched.map((p) => p.function), ...report.externalized.map((e) => e.symbol), ...report.referenced.map((r) => r.symbol), ...report.copied])].sort();

describe("explain", () => {
  it("has names to explain", () => expect(names.length).toBeGreaterThan(10));
  for (const name of names) {
    it(name, () => {
      const steps = explain(report, name)!;
      expect(steps.map((s) => s.name).at(-1)).toBe(name);
      expect(report.patched.map((p) => p.function)).toContain(steps[0]!.name);
    });
  }
  it("the chain through a copied helper", () => {
    expectGolden(join(FIXTURES, "extract", "meminfo-example", "explain-seq_put_decimal_ull_width.json"), json(explain(report, "seq_put_decimal_ull_width")));
  });
  it("an unknown name has no explanation", () => expect(explain(report, "no_such_symbol")).toBeUndefined());
});

// The command over bad reports: a located exit-2 error, never a stack trace or an answer
// from Object.prototype.
describe("explain command", () => {
  let stderr: string;
  beforeEach(() => {
    stderr = "";
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    vi.spyOn(process.stderr, "write").mockImplementation((s) => {
      stderr += String(s);
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());

  const malformed = join(FIXTURES, "explain", "malformed");
  for (const file of readdirSync(malformed).sort()) {
    it(`malformed report: ${file}`, async () => {
      const code = await main(["explain", "meminfo_proc_show", "--report", join(malformed, file)]);
      expect(code).toBe(2);
      expect(stderr).toContain(`${join(malformed, file)}: error KLP-E004: not a report.json`);
      expect(stderr).not.toMatch(/internal error|\n\s+at /);
    });
  }

  const good = join(FIXTURES, "extract", "meminfo-example", "expected", "report.json");
  for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
    it(`an inherited name (${name}) is not in the livepatch`, async () => {
      expect(await main(["explain", name, "--report", good])).toBe(2);
      expect(stderr).toContain(`error KLP-E004: ${name} is not in this livepatch`);
    });
  }

  it("a symbol of the report is explained", async () => {
    expect(await main(["explain", "show_val_kb", "--report", good])).toBe(0);
  });
});
