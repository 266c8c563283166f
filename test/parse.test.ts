// Driver for the parse stage: a real kernel source file is split into
// top-level items (golden items.json), and a preprocessed excerpt is indexed
// (golden decls.json).
import { describe, it } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseSourceFile } from "../src/parse/source-file.js";
import { parsePreprocessed } from "../src/parse/preprocessed-tu.js";
import { FIXTURES, cases, expectGolden, json, read } from "./golden.js";

describe("parse", () => {
  for (const name of cases("parse")) {
    it(name, () => {
      const dir = join(FIXTURES, "parse", name);
      if (existsSync(join(dir, "input.c"))) {
        const sf = parseSourceFile("input.c", read("parse", name, "input.c"));
        const items = sf.items.map((i) => ({ kind: i.kind, name: i.name ?? i.includePath ?? null, lines: `${i.startLine}-${i.endLine}`, hasError: i.hasError }));
        expectGolden(join(dir, "items.json"), json(items));
      }
      if (existsSync(join(dir, "input.i"))) {
        const tu = parsePreprocessed(read("parse", name, "input.i"));
        const decls = [...tu.decls.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([n, ds]) => ({
          name: n,
          decls: ds.map((d) => `${d.kind}/${d.storage}${d.inline ? "/inline" : ""}@${d.file}:${d.line}`),
        }));
        const macros = [...tu.macros.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([n, ms]) => `${n}@${ms.map((m) => `${m.file}:${m.line}`).join(",")}`);
        const includes = [...tu.includeTree.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} -> ${[...v].sort().join(" ")}`);
        expectGolden(join(dir, "decls.json"), json({ errorCount: tu.errorCount, decls, macros, includes }));
      }
    });
  }
});
