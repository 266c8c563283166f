// Fuzz test of the input readers: thousands of mutated diffs, IPA dumps,
// kallsyms and Module.symvers files, bounded in time. Every reader must
// either return data or report located diagnostics: never throw. The seed is
// printed; rerun a failure with KLP_FUZZ_SEED=<seed> npm test.
import { describe, expect, it } from "vitest";
import { DiagnosticSink } from "../src/diagnostics/diagnostic.js";
import { readPatch } from "../src/input/diff.js";
import { readIpaClones } from "../src/input/ipa-clones.js";
import { readSymbolTable } from "../src/input/kallsyms.js";
import { readSymvers } from "../src/input/symvers.js";
import { read } from "./golden.js";
import { mutate, rng } from "./fuzz-mutate.js";

const SEEDS = {
  diff: [read("input", "diff-plain", "input.patch"), read("input", "diff-format-patch", "input.patch"), read("input", "diff-git-create-delete-rename", "input.patch"), read("input", "diff-git-quoted-name", "input.patch")],
  ipa: [read("ipa", "inlined-static", "dump.txt"), read("ipa", "part-split", "dump.txt")],
  kallsyms: [read("input", "kallsyms-real", "input.txt")],
  symvers: [read("input", "symvers-real", "input.txt")],
};

describe("fuzz: readers never throw on mutated input", () => {
  const seed = Number(process.env.KLP_FUZZ_SEED ?? Date.now() % 1_000_000);
  it(`seed ${seed}`, () => {
    console.log(`fuzz seed: ${seed} (KLP_FUZZ_SEED=${seed} to replay)`);
    const r = rng(seed);
    const deadline = Date.now() + 3000;
    let runs = 0;
    let reported = 0;
    while (Date.now() < deadline && runs < 20000) {
      for (const [kind, samples] of Object.entries(SEEDS)) {
        const input = mutate(samples[Math.floor(r() * samples.length)]!, r);
        const sink = new DiagnosticSink();
        try {
          // A name the reader lets through stays inside the tree, whatever the mutation made of it.
          if (kind === "diff") for (const f of readPatch("fuzz.patch", input, sink)?.files ?? []) expect(f.path.startsWith("/") || f.path.split("/").includes("..")).toBe(false);
          else if (kind === "ipa") readIpaClones("fuzz.ipa-clones", input, sink);
          else if (kind === "kallsyms") readSymbolTable("fuzz.kallsyms", input, sink);
          else readSymvers("fuzz.symvers", input, sink);
        } catch (e) {
          throw new Error(`${kind} reader threw on seed ${seed}, run ${runs}: ${String(e)}\n--- input ---\n${input.slice(0, 2000)}`);
        }
        // Every error must say where it is.
        for (const d of sink.errors()) expect(d.location?.file).toBeTruthy();
        reported += sink.items.length;
        runs++;
      }
    }
    expect(runs).toBeGreaterThan(1000);
    expect(reported).toBeGreaterThan(0);
  });
});
