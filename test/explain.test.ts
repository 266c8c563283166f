// Driver for explain over a real report (the bundled example's golden
// report.json): every symbol the report decides about has a chain that starts
// at a replaced function and ends at the symbol.
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { explain } from "../src/decide/explain.js";
import type { Report } from "../src/decide/report.js";
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
