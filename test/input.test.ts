// Driver for the input stage: each test/fixtures/input/<case>/input.* is read
// by the reader its name selects; expected.json holds the parsed result and
// the diagnostics (error fixtures sit next to valid ones).
import { describe, it } from "vitest";
import { join } from "node:path";
import { DiagnosticSink } from "../src/diagnostics/diagnostic.js";
import { readPatch } from "../src/input/diff.js";
import { readSymbolTable } from "../src/input/kallsyms.js";
import { readSymvers } from "../src/input/symvers.js";
import { readIpaClones } from "../src/input/ipa-clones.js";
import { FIXTURES, cases, expectGolden, json, read } from "./golden.js";

const readers: Record<string, (file: string, text: string, sink: DiagnosticSink) => unknown> = {
  diff: (f, t, s) => readPatch(f, t, s),
  kallsyms: (f, t, s) => {
    const table = readSymbolTable(f, t, s);
    return { modules: [...table.modules], byName: Object.fromEntries([...table.byName.keys()].map((n) => [n, table.byName.get(n)])) };
  },
  symvers: (f, t, s) => Object.fromEntries(readSymvers(f, t, s)),
  ipa: (f, t, s) => readIpaClones(f, t, s),
};

describe("input readers", () => {
  for (const name of cases("input")) {
    it(name, () => {
      const kind = name.split("-")[0]!;
      const file = name.startsWith("diff") ? "input.patch" : "input.txt";
      const sink = new DiagnosticSink();
      const result = readers[kind]!(file, read("input", name, file), sink);
      expectGolden(join(FIXTURES, "input", name, "expected.json"), json({ result: result ?? null, diagnostics: sink.items }));
    });
  }
});
