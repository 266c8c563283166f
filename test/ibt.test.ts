// Driver for the IBT policy (src/decide/ibt.ts): each test/fixtures/ibt/<case>/input.json
// gives the kernel's .config facts, the mode, the symbol decisions and where the livepatch
// takes addresses; expected.json the diagnostics and each externalized symbol's resolution.
// The cases that must stay quiet sit next to those that must refuse.
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { DiagnosticSink, type SourceLocation } from "../src/diagnostics/diagnostic.js";
import { checkIbt } from "../src/decide/ibt.js";
import type { SymbolUse } from "../src/model/policy.js";
import { FIXTURES, cases, expectGolden, json, read } from "./golden.js";

interface Input {
  config?: { file: string; ibtLine?: number };
  mode: "kallsyms" | "klp-reloc";
  uses: SymbolUse[];
  addressUses: Record<string, SourceLocation[]>;
  kernelTakesAddress: string[];
}

describe("IBT policy", () => {
  for (const name of cases("ibt")) {
    it(name, () => {
      const input = JSON.parse(read("ibt", name, "input.json")) as Input;
      const sink = new DiagnosticSink();
      const uses = checkIbt({
        config: input.config,
        mode: input.mode,
        uses: input.uses,
        addressUses: new Map(Object.entries(input.addressUses)),
        kernelTakesAddress: (n) => input.kernelTakesAddress.includes(n),
        usedAt: (n) => ({ file: "fs/proc/stat.c", line: input.uses.findIndex((u) => u.name === n) + 100, column: 1 }),
        sink,
      });
      const resolutions = Object.fromEntries(uses.filter((u) => u.decision.kind === "externalize").map((u) => [u.name, u.decision.kind === "externalize" ? u.decision.resolution : null]));
      const diagnostics = sink.items.map((d) => ({ code: d.code, severity: d.severity, location: d.location }));
      expectGolden(join(FIXTURES, "ibt", name, "expected.json"), json({ diagnostics, resolutions }));
    });
  }
});

describe("IBT refusals cannot be forced", () => {
  it("KLP-E056 stays an error under --force KLP-E056", () => {
    const input = JSON.parse(read("ibt", "kallsyms-refused", "input.json")) as Input;
    const sink = new DiagnosticSink(new Set(["KLP-E056"]));
    checkIbt({ config: input.config, mode: "kallsyms", uses: input.uses, addressUses: new Map(), kernelTakesAddress: () => false, usedAt: () => ({ file: "f.c", line: 1, column: 1 }), sink });
    expect(sink.hasErrors).toBe(true);
  });
});
