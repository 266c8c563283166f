// Driver for the whole extract command (every stage, through the CLI entry):
// each test/fixtures/extract/<case>/args.json gives the argv ($EXAMPLE =
// examples/meminfo, $FIXTURE = the case folder, $OUT = a scratch output),
// the exit code and the diagnostic codes (and, with "sympos", the sympos
// report.json gives some externalized symbols, with "patched" the replaced
// functions, with "stderr" patterns the messages must match); a case with expected/ also has
// its output files compared byte for byte.
import { describe, expect, it } from "vitest";
import { cliHarness } from "./cli-harness.js";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { main } from "../src/cli/main.js";
import { FIXTURES, cases, expectGolden } from "./golden.js";

const EXAMPLE = resolve(import.meta.dirname, "../examples/meminfo");

describe("extract", () => {
  const io = cliHarness("klp-ccp-test-");

  for (const name of cases("extract")) {
    it(name, async () => {
      const dir = join(FIXTURES, "extract", name);
      const spec = JSON.parse(readFileSync(join(dir, "args.json"), "utf8")) as {
        args: string[];
        exit: number;
        codes: string[];
        outExists?: boolean;
        /** Variants of the example's kallsyms, made in the scratch dir: lines dropped or added. */
        kallsymsWithout?: string[];
        kallsymsAppend?: string[];
        /** Externalized symbol → the sympos report.json must give it. */
        sympos?: Record<string, number>;
        /** The functions report.json must list as patched, exactly. */
        patched?: string[];
        /** Regular expressions io.stderr must match ($FIXTURE stands for the case folder): where a message points. */
        stderr?: string[];
        /**
         * The preprocessed patched TU, as $PREPROCESSED: the example's meminfo.i with text
         * replaced on one line (the line count stays, so its line markers stay right).
         */
        preprocessedEdit?: { line: number; from: string; to: string };
      };
      const kallsyms = join(io.scratch, "kallsyms");
      const drop = new Set(spec.kallsymsWithout ?? []);
      const lines = readFileSync(join(EXAMPLE, "kallsyms"), "utf8").split("\n").filter((l) => l && !drop.has(l.split(" ")[2]!));
      writeFileSync(kallsyms, [...lines, ...(spec.kallsymsAppend ?? [])].join("\n") + "\n");
      const preprocessed = join(io.scratch, "meminfo.i");
      if (spec.preprocessedEdit) {
        const { line, from, to } = spec.preprocessedEdit;
        const pp = readFileSync(join(EXAMPLE, "build/fs/proc/meminfo.i"), "utf8").split("\n");
        expect(pp[line - 1]).toContain(from);
        pp[line - 1] = pp[line - 1]!.replace(from, to);
        writeFileSync(preprocessed, pp.join("\n"));
      }
      const out = join(io.scratch, "out");
      if (spec.outExists) {
        mkdirSync(out);
        writeFileSync(join(out, "keep.txt"), "user data\n");
      }
      const argv = spec.args.map((a) => a.replace("$EXAMPLE", EXAMPLE).replace("$FIXTURE", dir).replace("$OUT", out).replace("$KALLSYMS", kallsyms).replace("$PREPROCESSED", preprocessed));
      // A cache of the test's own (never the user's); a fixture may name its own or --no-cache.
      if (argv[0] === "extract" && !argv.some((a) => a === "--no-cache" || a.startsWith("--cache-dir"))) argv.push("--cache-dir", join(io.scratch, "cache"));
      const code = await main(argv);
      const codes = [...new Set([...io.stderr.matchAll(/\b(KLP-[EW]\d{3})\b/g)].map((m) => m[1]))].sort();
      expect({ code, codes }).toEqual({ code: spec.exit, codes: [...spec.codes].sort() });
      expect(io.stderr).not.toMatch(/internal error|\n\s+at /);
      const fixtureRe = dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      for (const re of spec.stderr ?? []) expect(io.stderr).toMatch(new RegExp(re.replace("$FIXTURE", () => fixtureRe)));
      if (spec.exit !== 0) {
        // Nothing written on failure (a pre-existing directory is left as it was).
        const files = existsSync(out) ? readdirSync(out) : [];
        expect(files).toEqual(spec.outExists ? ["keep.txt"] : []);
        expect(readdirSync(io.scratch).filter((f) => f.includes("klp-ccp-tmp"))).toEqual([]);
      }
      if (spec.sympos) {
        const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as { externalized: Array<{ symbol: string; sympos: number }> };
        const got = Object.fromEntries(report.externalized.filter((e) => e.symbol in spec.sympos!).map((e) => [e.symbol, e.sympos]));
        expect(got).toEqual(spec.sympos);
      }
      if (spec.patched) {
        const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as { patched: Array<{ function: string; reason: string }> };
        expect(report.patched.map((p) => p.function)).toEqual(spec.patched);
      }
      if (existsSync(join(dir, "expected"))) {
        for (const f of readdirSync(out).sort()) expectGolden(join(dir, "expected", f), readFileSync(join(out, f), "utf8"));
        expect(readdirSync(out).sort()).toEqual(readdirSync(join(dir, "expected")).sort());
      }
    });
  }
});
