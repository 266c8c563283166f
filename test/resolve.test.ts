// Driver for the resolve stage: the free (file-scope) references of each
// function of a fixture, with locals, parameters and members filtered out.
import { describe, it } from "vitest";
import { join } from "node:path";
import { parseSourceFile } from "../src/parse/source-file.js";
import { freeReferences } from "../src/resolve/free-references.js";
import { FIXTURES, cases, expectGolden, json, readInputC } from "./golden.js";

describe("resolve: free references", () => {
  for (const name of cases("resolve")) {
    it(name, () => {
      const sf = parseSourceFile("input.c", readInputC("resolve", name));
      const out: Record<string, string[]> = {};
      for (const item of sf.items) {
        if (item.kind !== "function" || !item.node) continue;
        out[item.name!] = [...new Set(freeReferences(item.node).map((r) => (r.namespace === "tag" ? `struct ${r.name}` : r.name)))].sort();
      }
      expectGolden(join(FIXTURES, "resolve", name, "expected.json"), json(out));
    });
  }
});
