// Driver for the policy pass (decide/policy.ts): each test/fixtures/policy/<case>
// has a case.json naming a small C project (its own files, or another fixture's
// with "dir"), the functions to take (--functions), the mode, the symbol table
// and Module.symvers. expected.json is every name the closure reaches with its
// decision, and the diagnostics; an error case (a refusal) has no decisions.
import { describe, it } from "vitest";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DiagnosticSink, StageFailed } from "../src/diagnostics/diagnostic.js";
import { readSymbolTable } from "../src/input/kallsyms.js";
import { readSymvers } from "../src/input/symvers.js";
import { commandFromArgv } from "../src/kbuild/compile-command.js";
import { analyseFunctions } from "../src/analyse-tu.js";
import { FIXTURES, cases, expectGolden, json, read } from "./golden.js";

interface PolicyCase {
  /** The C project, relative to the case (default: the case itself). */
  dir?: string;
  /** The .c file, relative to dir. */
  file: string;
  /** -I directories, relative to dir. */
  include?: string[];
  functions: string[];
  mode: "kallsyms" | "klp-reloc";
  /** Symbol table and Module.symvers, relative to dir. */
  symbols?: string;
  symvers?: string;
  /** Codes accepted with --force: the run goes on past them. */
  force?: string[];
}

describe("policy: one decision per name the closure reaches", () => {
  for (const name of cases("policy")) {
    it(name, () => {
      const caseDir = join(FIXTURES, "policy", name);
      const spec = JSON.parse(read("policy", name, "case.json")) as PolicyCase;
      const dir = resolve(caseDir, spec.dir ?? ".");
      const sink = new DiagnosticSink(new Set(spec.force ?? []));
      const at = (f: string) => join(dir, f);
      const symbols = spec.symbols ? readSymbolTable(spec.symbols, readFileSync(at(spec.symbols)), sink) : undefined;
      const exports = spec.symvers ? readSymvers(spec.symvers, readFileSync(at(spec.symvers)), sink) : new Map();
      const command = commandFromArgv(["gcc", "-std=gnu11", "-O2", ...(spec.include ?? []).flatMap((i) => ["-I", i]), "-c", spec.file], dir);
      let decisions: unknown = null;
      try {
        const plan = analyseFunctions({ src: dir, build: dir, exports, ...(symbols ? { symbols } : {}), ipaDir: dir, mode: spec.mode, name: "livepatch_policy", sink, command }, spec.file, spec.functions);
        decisions = plan.decisions;
      } catch (e) {
        if (!(e instanceof StageFailed)) throw e;
      }
      // Paths in messages: relative to the project, whatever the checkout.
      expectGolden(join(caseDir, "expected.json"), json({ decisions, diagnostics: sink.items }).replaceAll(dir, "<dir>"));
    });
  }
});
