// Every kind of file extract keeps in --cache-dir for the bundled example, damaged one at a time
// (a byte changed at several places, the file cut short): each run must still write the livepatch
// an undamaged cache gives, byte for byte, or fail cleanly (exit 1 or 2, never 3), within a time
// bound, say so once (KLP-W010, even with -q), and leave the entry rebuilt for the next run.
// Runs the built CLI (dist/, made by `npm ci`) as a child process, so that a hang is killed.
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
/** A run of the example takes ~0.5 s; one that takes this long is hung. */
const TIME_BOUND_MS = 30_000;

interface Run {
  status: number | null;
  stderr: string;
}

function extract(cacheDir: string, out: string): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(ROOT, "bin/klp-ccp"), "extract", "--example", "-q", "--cache-dir", cacheDir, "--out", out], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), TIME_BOUND_MS);
    child.on("close", (status) => {
      clearTimeout(timer);
      done({ status, stderr });
    });
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

const outputOf = (out: string) => Object.fromEntries(filesUnder(out).map((f) => [f, readFileSync(join(out, f), "utf8")]));

/** The ways a file is damaged: one byte changed at the start (a header), in the middle and inside the checksum; cut to half. */
const DAMAGE: Array<[string, (path: string) => void]> = [
  ...([["first byte", 0], ["middle byte", 0.5], ["checksum byte", -20]] as const).map(([label, at]): [string, (path: string) => void] => [
    label,
    (path) => {
      const bytes = readFileSync(path);
      const i = at < 0 ? bytes.length + at : Math.floor(bytes.length * at);
      bytes[i] = bytes[i]! ^ 0x5a;
      writeFileSync(path, bytes);
    },
  ]),
  ["cut to half", (path) => truncateSync(path, Math.floor(statSync(path).size / 2))],
];

describe("cache corruption", () => {
  it("a damaged entry of every kind gives the same livepatch or a clean error, in bounded time, is reported once and is rebuilt", async () => {
    expect(existsSync(join(ROOT, "dist/cli/main.bundle.cjs")), "run npm run build first").toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "klp-ccp-cache-corruption-"));
    try {
      const pristine = join(dir, "cache");
      const first = await extract(pristine, join(dir, "reference"));
      expect(first).toEqual({ status: 0, stderr: "" });
      const reference = outputOf(join(dir, "reference"));
      const kept = filesUnder(pristine);
      // Every kind the example makes: the symbol tables' indexes and the source outlines.
      expect(kept.map((f) => f.replace(/[-/][0-9a-f]{16,}\./, "/*.")).filter((f, i, all) => all.indexOf(f) === i)).toEqual(["v2/index/kallsyms/*.bin", "v2/index/symvers/*.bin", "v2/sources/*.json"]);
      const cases = kept.flatMap((file) => DAMAGE.map(([label, damage]) => ({ file, label, damage })));
      let next = 0;
      const failures: string[] = [];
      const worker = async () => {
        for (let k = next++; k < cases.length; k = next++) {
          const { file, label, damage } = cases[k]!;
          const cache = join(dir, `case-${k}`);
          cpSync(pristine, cache, { recursive: true });
          damage(join(cache, file));
          const out = join(dir, `out-${k}`);
          const r = await extract(cache, out);
          const what = `${file}, ${label}`;
          if (r.status === null) failures.push(`${what}: no end within ${TIME_BOUND_MS} ms`);
          else if (r.status === 0) {
            if (JSON.stringify(outputOf(out)) !== JSON.stringify(reference)) failures.push(`${what}: a different livepatch`);
            if ((r.stderr.match(/warning KLP-W010/g) ?? []).length !== 1) failures.push(`${what}: not reported once: ${r.stderr}`);
          } else if (r.status !== 1 && r.status !== 2) failures.push(`${what}: exit ${r.status}: ${r.stderr}`);
          // Healed: the entry is made again as it was (and the pristine cache is used silently, below).
          if (!readFileSync(join(cache, file)).equals(readFileSync(join(pristine, file)))) failures.push(`${what}: not rebuilt`);
          rmSync(cache, { recursive: true, force: true });
        }
      };
      await Promise.all([worker(), worker()]);
      expect(failures).toEqual([]);
      const again = await extract(pristine, join(dir, "again"));
      expect(again).toEqual({ status: 0, stderr: "" });
      expect(outputOf(join(dir, "again"))).toEqual(reference);
      expect(filesUnder(pristine)).toEqual(kept);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
