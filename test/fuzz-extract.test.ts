// Fuzz test of extract's inputs end to end (issue 14): the bundled example
// with its patch, kallsyms, Module.symvers or IPA clone dump mutated, run
// through the real CLI (a child process, so that a hang is caught by a
// timeout). Every run must end with exit 0, 1 or 2 and no stack trace, leave
// --out whole or absent and no scratch directory behind, and never accept a
// table or dump that is malformed. A short run is part of `npm test`;
// `npm run fuzz -- --runs 2000 --seed N` runs longer (scripts/fuzz.mjs).
// Replay one seed with KLP_FUZZ_SEED=<seed>.
import { describe, expect, it } from "vitest";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { mutate, rng } from "./fuzz-mutate.js";

const ROOT = resolve(import.meta.dirname, "..");
const EXAMPLE = join(ROOT, "examples/meminfo");
const BIN = join(ROOT, "bin/klp-ccp");
const DUMP = "fs/proc/meminfo.c.000i.ipa-clones";
const OUTPUT = ["Kbuild", "livepatch_fix.c", "patched_funcs.csv", "report.json"];
/** A normal run takes ~0.5 s; a run still going after this is a hang. */
const HANG_MS = 60_000;

/** The inputs a run may mutate, with the file the example has and, for the tables, whether a text is well-formed. */
const INPUTS = {
  patch: { file: "fix.patch", valid: undefined },
  symbols: { file: "kallsyms", valid: (line: string) => /^[0-9a-fA-F]+[ \t]+[A-Za-z?][ \t]+\S+([ \t]+\[\S+\])?[ \t\r]*$/.test(line) },
  symvers: { file: "Module.symvers", valid: validSymversLine },
  ipa: { file: `build/${DUMP}`, valid: validIpaLine },
} as const;
type Input = keyof typeof INPUTS;

function validSymversLine(line: string): boolean {
  const f = line.replace(/\r$/, "").split("\t");
  return (f.length === 4 || f.length === 5) && /^0x[0-9a-fA-F]+$/.test(f[0]!) && f[1] !== "" && /^EXPORT_SYMBOL/.test(f[3]!);
}

function validIpaLine(line: string): boolean {
  const f = line.split(";");
  const node = (at: number) => f[at] !== "" && /^\d+$/.test(f[at + 1] ?? "") && /^\d+$/.test(f[at + 3] ?? "") && /^\d+$/.test(f[at + 4] ?? "");
  if (f[0] === "Callgraph clone") return (f.length === 12 && node(1) && node(6)) || (f.length === 14 && node(1) && node(7));
  return f[0] === "Callgraph removal" && f.length >= 6 && node(1);
}

/** Whether every non-blank line of a table is well-formed (an empty table is not). */
function wellFormed(input: Input, text: string): boolean {
  const valid = INPUTS[input].valid;
  if (!valid) return true;
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  return (input === "ipa" || lines.length > 0) && lines.every(valid);
}

interface FuzzSummary {
  runs: number;
  exits: Record<number, number>;
}

/** `runs` fuzzed runs (or until `seconds` pass), from `seed`; throws with the seed, run and a kept copy of the inputs on the first failure. */
function fuzzExtract(seed: number, runs: number, seconds: number): FuzzSummary {
  const r = rng(seed);
  const scratch = mkdtempSync(join(tmpdir(), "klp-ccp-fuzz-"));
  const tmp = join(scratch, "tmp");
  mkdirSync(tmp);
  const exits: Record<number, number> = {};
  const deadline = Date.now() + seconds * 1000;
  let run = 0;
  try {
    for (; run < runs && Date.now() < deadline; run++) {
      const dir = join(scratch, `run${run}`);
      mkdirSync(join(dir, "ipa", "fs/proc"), { recursive: true });
      const texts: Record<Input, string> = { patch: "", symbols: "", symvers: "", ipa: "" };
      const mutated = (Object.keys(INPUTS) as Input[]).filter(() => r() < 0.35);
      if (mutated.length === 0) mutated.push((Object.keys(INPUTS) as Input[])[Math.floor(r() * 4)]!);
      for (const input of Object.keys(INPUTS) as Input[]) {
        const original = readFileSync(join(EXAMPLE, INPUTS[input].file), "utf8");
        texts[input] = mutated.includes(input) ? mutate(original, r) : original;
      }
      writeFileSync(join(dir, "fix.patch"), texts.patch);
      writeFileSync(join(dir, "kallsyms"), texts.symbols);
      writeFileSync(join(dir, "Module.symvers"), texts.symvers);
      writeFileSync(join(dir, "ipa", DUMP), texts.ipa);
      const out = join(dir, "out");
      const argv = [BIN, "extract", "--patch", join(dir, "fix.patch"), "--src", join(EXAMPLE, "src"), "--preprocessed", join(EXAMPLE, "build/fs/proc/meminfo.i"), "--symbols", join(dir, "kallsyms"), "--symvers", join(dir, "Module.symvers"), "--ipa-clones", join(dir, "ipa"), "--out", out, "--cache-dir", join(scratch, "cache"), "-q"];
      const started = Date.now();
      const result = spawnSync(process.execPath, argv, { encoding: "utf8", timeout: HANG_MS, env: { ...process.env, TMPDIR: tmp } });
      const fail = (why: string) => {
        const kept = join(tmpdir(), `klp-ccp-fuzz-failure-${seed}-${run}`);
        cpSync(dir, kept, { recursive: true });
        throw new Error(`fuzz seed ${seed}, run ${run} (mutated: ${mutated.join(", ")}): ${why}\ninputs kept in ${kept}\n--- stderr ---\n${result.stderr?.slice(0, 3000)}`);
      };
      if (result.error || result.status === null) fail(`no exit after ${Date.now() - started} ms (${result.error?.message ?? result.signal})`);
      const status = result.status!;
      exits[status] = (exits[status] ?? 0) + 1;
      if (![0, 1, 2].includes(status)) fail(`exit ${status}`);
      if (/internal error|\n\s+at /.test(result.stderr)) fail("a stack trace");
      if (status !== 0 && !/error KLP-E\d{3}/.test(result.stderr)) fail(`exit ${status} without a KLP error`);
      const written = existsSync(out) ? readdirSync(out).sort() : [];
      if (status === 0 ? written.join() !== OUTPUT.join() : written.length > 0) fail(`exit ${status} with --out holding [${written.join(", ")}]`);
      const leftovers = [...readdirSync(tmp), ...readdirSync(dir).filter((f) => f.startsWith("out."))];
      if (leftovers.length) fail(`left behind: ${leftovers.join(", ")}`);
      for (const input of mutated) if (status === 0 && !wellFormed(input, texts[input])) fail(`a malformed ${input} was accepted`);
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { runs: run, exits };
}

describe("fuzz: extract end to end on mutated inputs", () => {
  const seed = Number(process.env.KLP_FUZZ_SEED ?? Date.now() % 1_000_000);
  const runs = Number(process.env.KLP_FUZZ_RUNS ?? 6);
  const seconds = Number(process.env.KLP_FUZZ_SECONDS ?? 6);
  it(`seed ${seed}`, () => {
    const summary = fuzzExtract(seed, runs, seconds);
    console.log(`fuzz extract: seed ${seed}, ${summary.runs} runs, exits ${JSON.stringify(summary.exits)} (KLP_FUZZ_SEED=${seed} to replay)`);
    expect(summary.runs).toBeGreaterThan(0);
  }, (seconds + HANG_MS / 1000 + 30) * 1000);
});
