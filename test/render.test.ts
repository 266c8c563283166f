// Driver for the render stage: each test/fixtures/render/<case>/plan.json is a
// LivepatchPlan (taken from a real extract run of a kernel case, include file
// lists left out); expected/ holds the files renderLivepatch writes for it.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { LivepatchPlan } from "../src/model/plan.js";
import { buildReport } from "../src/decide/report.js";
import { renderLivepatch } from "../src/render/render.js";
import { FIXTURES, cases, expectGolden } from "./golden.js";

describe("render", () => {
  for (const name of cases("render")) {
    it(name, () => {
      const dir = join(FIXTURES, "render", name);
      const plan = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as LivepatchPlan;
      const files = renderLivepatch(plan, buildReport(plan));
      for (const [file, text] of files) expectGolden(join(dir, "expected", file), text);
      expect([...files.keys()].sort()).toEqual(readdirSync(join(dir, "expected")).sort());
    });
  }

  it("a module's symbols are looked up when it loads, vmlinux's at init", () => {
    const plan = JSON.parse(readFileSync(join(FIXTURES, "render", "module-and-vmlinux-kallsyms", "plan.json"), "utf8")) as LivepatchPlan;
    const c = renderLivepatch(plan, buildReport(plan)).get(`${plan.name}.c`)!;
    const table = (label: string) => c.slice(c.indexOf(`static struct klpe_symbol ${label}[]`)).split("};")[0]!;
    expect(table("klpe_symbols")).toContain('"saved_command_line"');
    expect(table("klpe_symbols")).not.toContain('"numdummies"');
    expect(table("klpe_dummy_symbols")).toContain('"numdummies"');
    expect(c).toMatch(/register_module_notifier\(&klpe_module_nb\)/);
    expect(c).toMatch(/unregister_module_notifier\(&klpe_module_nb\);\n\}/);
  });
});
