#!/usr/bin/env node
// The longer fuzz run of extract's inputs: the test in test/fuzz-extract.test.ts
// (the one `npm test` runs briefly), with more runs.
//   npm run fuzz -- --runs 2000 --seed 42 [--seconds 3600]
// Prints the seed, the number of runs and the exit codes seen; on a failure,
// the seed, the run and where its inputs were kept (exit 1).
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { runs: { type: "string", default: "500" }, seed: { type: "string" }, seconds: { type: "string" } } });
const runs = Number(values.runs);
const seed = values.seed ?? String(Date.now() % 1_000_000);
// About 0.5-1 s per run; the time bound is only a backstop.
const seconds = values.seconds ?? String(Math.max(60, runs * 5));
if (!Number.isInteger(runs) || runs < 1 || !/^\d+$/.test(seed) || !/^\d+$/.test(seconds)) {
  process.stderr.write("usage: npm run fuzz -- [--runs N] [--seed N] [--seconds N]\n");
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vitest = join(root, "node_modules/vitest/vitest.mjs");
const r = spawnSync(process.execPath, [vitest, "run", "test/fuzz-extract.test.ts", "--silent=false"], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, KLP_FUZZ_RUNS: String(runs), KLP_FUZZ_SEED: seed, KLP_FUZZ_SECONDS: seconds },
});
process.exit(r.status ?? 1);
