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

/** mulberry32: small, seedable, good enough to pick mutations. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY = ["", ";", "../", "/etc/", "\"a/\\303\\251\"", ";;;;;;;;;;;;", "\0", "\t", "@@ -1 +1 @@", "--- a/x\n+++ b/x\n", "Callgraph clone", "Callgraph removal", "0x", "ffffffff", "[", "]", "\uFFFD", "-1", "999999999999999999999", "NaN", "\r\n"];

function mutate(text: string, r: () => number): string {
  const lines = text.split("\n");
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const i = Math.floor(r() * Math.max(lines.length, 1));
    const line = lines[i] ?? "";
    switch (Math.floor(r() * 7)) {
      case 0: lines.splice(i, 1); break;
      case 1: lines.splice(i, 0, line); break;
      case 2: lines[i] = line.slice(0, Math.floor(r() * line.length)); break;
      case 3: {
        const at = Math.floor(r() * (line.length + 1));
        lines[i] = line.slice(0, at) + NASTY[Math.floor(r() * NASTY.length)] + line.slice(at);
        break;
      }
      case 4: {
        const chars = line.split("");
        if (chars.length) chars[Math.floor(r() * chars.length)] = String.fromCharCode(Math.floor(r() * 128));
        lines[i] = chars.join("");
        break;
      }
      case 5: lines.splice(Math.floor(r() * lines.length), 0, lines[Math.floor(r() * lines.length)] ?? ""); break;
      default: lines.length = Math.floor(r() * lines.length);
    }
  }
  return lines.join("\n");
}

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
