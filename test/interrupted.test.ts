// Runs killed halfway (issue 14, item 11): their scratch directories are
// removed by a later run once their process is gone (never a live run's), and
// --force-overwrite leaves the old output or the new one at every moment.
import { describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn, spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { removeStaleScratchDirs } from "../src/util/scratch-dir.js";
import { recoverInterruptedOutput } from "../src/cli/write-output.js";

const BIN = resolve(import.meta.dirname, "../bin/klp-ccp");
const OUTPUT = ["Kbuild", "livepatch_meminfo.c", "patched_funcs.csv", "report.json"];

/** The pid of a process that has ended. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
}

function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), "klp-ccp-test-"));
}

describe("stale scratch directories", () => {
  it("are removed when their process is gone, kept while it lives", () => {
    const dir = scratchDir();
    try {
      const dead = `klp-ccp-pid${String(deadPid()).padStart(7, "0")}-work-abc123`;
      const live = `klp-ccp-pid${String(process.ppid).padStart(7, "0")}-work-def456`;
      const mine = `klp-ccp-pid${String(process.pid).padStart(7, "0")}-work-ghi789`;
      for (const d of [dead, live, mine, "klp-ccp-other"]) mkdirSync(join(dir, d, "tree"), { recursive: true });
      expect(removeStaleScratchDirs(dir)).toEqual([dead]);
      expect(readdirSync(dir).sort()).toEqual(["klp-ccp-other", live, mine].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a run removes a killed run's and leaves none of its own", () => {
    const dir = scratchDir();
    try {
      const dead = `klp-ccp-pid${String(deadPid()).padStart(7, "0")}-work-abc123`;
      mkdirSync(join(dir, dead, "tree"), { recursive: true });
      const r = spawnSync(process.execPath, [BIN, "extract", "--example", "--out", join(dir, "out"), "--no-cache", "-q"], { env: { ...process.env, TMPDIR: dir }, encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      expect(readdirSync(dir)).toEqual(["out"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("--force-overwrite", () => {
  it("a run killed between its two renames: the next one puts the old output back", () => {
    const dir = scratchDir();
    try {
      const out = join(dir, "out");
      const pid = deadPid();
      mkdirSync(`${out}.klp-ccp-old-${pid}`);
      writeFileSync(`${out}.klp-ccp-old-${pid}/report.json`, "old\n");
      mkdirSync(`${out}.klp-ccp-tmp-${pid}`);
      writeFileSync(`${out}.klp-ccp-tmp-${pid}/Kbuild`, "half\n");
      recoverInterruptedOutput(out);
      expect(readdirSync(dir)).toEqual(["out"]);
      expect(readFileSync(join(out, "report.json"), "utf8")).toBe("old\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("killed at any moment, the output is the old one or the new one", async () => {
    const dir = scratchDir();
    try {
      const out = join(dir, "out");
      const argv = [BIN, "extract", "--example", "--out", out, "--force-overwrite", "--no-cache", "-q"];
      expect(spawnSync(process.execPath, argv).status).toBe(0);
      const fresh = Object.fromEntries(OUTPUT.map((f) => [f, readFileSync(join(out, f), "utf8")]));
      writeFileSync(join(out, "report.json"), '{"old": true}\n');
      for (const delay of [5, 40, 80, 120, 160, 200, 260, 330]) {
        const child = spawn(process.execPath, argv, { stdio: "ignore" });
        // Listened for at once: a run that ends before the kill must not be waited for forever.
        const closed = new Promise((done) => child.on("close", done));
        await new Promise((done) => setTimeout(done, delay));
        child.kill("SIGKILL");
        await closed;
        recoverInterruptedOutput(out);
        expect(readdirSync(dir), `killed after ${delay} ms`).toEqual(["out"]);
        const report = readFileSync(join(out, "report.json"), "utf8");
        if (report === '{"old": true}\n') continue;
        // The new output, whole.
        expect(Object.fromEntries(readdirSync(out).sort().map((f) => [f, readFileSync(join(out, f), "utf8")]))).toEqual(fresh);
        writeFileSync(join(out, "report.json"), '{"old": true}\n');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
