// Every kind of file extract keeps in --cache-dir, damaged one at a time (a byte changed at
// several places, the file cut short): each run must still write the livepatch an undamaged
// cache gives, byte for byte, or fail cleanly (exit 1 or 2, never 3), within a time bound, say
// so once (KLP-W011, even with -q), and leave the entry rebuilt for the next run. The bundled
// example makes the symbol tables' indexes and the source outlines; a tiny build tree
// (fixtures/cache/tree) the #include check's answers and the kept headers with their PCH.
// Runs the built CLI (dist/, made by `npm ci`) as a child process, so that a hang is killed.
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { FIXTURES } from "./golden.js";

const ROOT = resolve(import.meta.dirname, "..");
/** A run takes ~0.5 s; one that takes this long is hung. */
const TIME_BOUND_MS = 30_000;

interface Run {
  status: number | null;
  stderr: string;
}

function klpCcp(args: string[], cwd: string): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(ROOT, "bin/klp-ccp"), "extract", "-q", ...args], { cwd, stdio: ["ignore", "ignore", "pipe"] });
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
/** A cache file's kind: its path without the hashes that name entries. */
const kindOf = (f: string) => f.replace(/[0-9a-f]{16,}/g, "*");
const kinds = (files: string[]) => [...new Set(files.map(kindOf))];

type Damage = [label: string, damage: (path: string) => void];
const flip = (label: string, at: number): Damage => [
  label,
  (path) => {
    const bytes = readFileSync(path);
    const i = at < 0 ? bytes.length + at : Math.floor(bytes.length * at);
    bytes[i] = bytes[i]! ^ 0x5a;
    writeFileSync(path, bytes);
  },
];
const CUT: Damage = ["cut to half", (path) => truncateSync(path, Math.floor(statSync(path).size / 2))];

/** Waits (bounded) until no detached PCH build is left in the cache. */
async function settled(cache: string): Promise<boolean> {
  const headers = join(cache, "v2", "headers");
  for (const t0 = Date.now(); Date.now() - t0 < TIME_BOUND_MS; await new Promise((r) => setTimeout(r, 50))) {
    if (!existsSync(headers) || !readdirSync(headers).some((n) => n.endsWith(".building"))) return true;
  }
  return false;
}

/**
 * Damages each file of `pristine` each way, in a copy of its own, runs extract on it with
 * `run(cache, out)`, and returns what went wrong: a hang, exit 3, another livepatch than
 * `reference`, no single KLP-W011, or a cache whose files were not made again.
 */
async function damageEach(o: { dir: string; pristine: string; files: string[]; damages: Damage[]; reference: Record<string, string>; run: (cache: string, out: string) => Promise<Run> }): Promise<string[]> {
  const cases = o.files.flatMap((file) => o.damages.map(([label, damage]) => ({ file, label, damage })));
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    for (let k = next++; k < cases.length; k = next++) {
      const { file, label, damage } = cases[k]!;
      const cache = join(o.dir, `case-${k}`);
      cpSync(o.pristine, cache, { recursive: true });
      damage(join(cache, file));
      const out = join(o.dir, `out-${k}`);
      const r = await o.run(cache, out);
      const what = `${file}, ${label}`;
      if (r.status === null) failures.push(`${what}: no end within ${TIME_BOUND_MS} ms`);
      else if (r.status === 0) {
        if (JSON.stringify(outputOf(out)) !== JSON.stringify(o.reference)) failures.push(`${what}: a different livepatch`);
        if ((r.stderr.match(/warning KLP-W011/g) ?? []).length !== 1) failures.push(`${what}: not reported once: ${r.stderr}`);
      } else if (r.status !== 1 && r.status !== 2) failures.push(`${what}: exit ${r.status}: ${r.stderr}`);
      // Healed: the damaged entry is made again (its PCH in the background).
      if (!(await settled(cache))) failures.push(`${what}: a PCH build did not end`);
      if (JSON.stringify(kinds(filesUnder(cache))) !== JSON.stringify(kinds(filesUnder(o.pristine)))) failures.push(`${what}: not rebuilt: ${filesUnder(cache).join(" ")}`);
      rmSync(cache, { recursive: true, force: true });
    }
  };
  await Promise.all([worker(), worker()]);
  return failures;
}

describe("cache corruption", () => {
  it("the bundled example: a damaged index or outline gives the same livepatch, in bounded time, is reported once and is rebuilt", async () => {
    expect(existsSync(join(ROOT, "dist/cli/main.bundle.cjs")), "run npm run build first").toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "klp-ccp-cache-corruption-"));
    const run = (cache: string, out: string) => klpCcp(["--example", "--cache-dir", cache, "--out", out], ROOT);
    try {
      const pristine = join(dir, "cache");
      expect(await run(pristine, join(dir, "reference"))).toEqual({ status: 0, stderr: "" });
      const reference = outputOf(join(dir, "reference"));
      const files = filesUnder(pristine);
      expect(kinds(files)).toEqual(["v2/index/kallsyms-*.bin", "v2/index/symvers-*.bin", "v2/sources/*.json"]);
      const damages = [flip("first byte", 0), flip("middle byte", 0.5), flip("checksum byte", -20), CUT];
      expect(await damageEach({ dir, pristine, files, damages, reference, run })).toEqual([]);
      // Rebuilt as it was: the next run reads every entry and says nothing.
      expect(await run(pristine, join(dir, "again"))).toEqual({ status: 0, stderr: "" });
      expect(outputOf(join(dir, "again"))).toEqual(reference);
      expect(filesUnder(pristine)).toEqual(files);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it("a build tree, with a relative --cache-dir: a damaged #include-check answer or kept-headers file (PCH included) gives the same livepatch and is rebuilt; no .building stays", async () => {
    const tree = join(FIXTURES, "cache", "tree");
    const dir = mkdtempSync(join(tmpdir(), "klp-ccp-cache-corruption-"));
    // Run in `dir` with the cache named relative to it: the PCH build runs in the build tree.
    // --no-verify: the tree's linux/*.h are empty, enough for the #include check, not for the whole module.
    const run = (cache: string, out: string) =>
      klpCcp(["--patch", join(tree, "fix.patch"), "--src", join(tree, "src"), "--build", join(tree, "build"), "--symbols", join(tree, "kallsyms"), "--symvers", join(tree, "Module.symvers"), "--cache-dir", cache.slice(dir.length + 1), "--no-verify", "--out", out], dir);
    try {
      const pristine = join(dir, "cache");
      const first = await run(pristine, join(dir, "reference"));
      expect(first.status).toBe(0);
      const warnings = first.stderr;
      const reference = outputOf(join(dir, "reference"));
      expect(await settled(pristine)).toBe(true);
      const files = filesUnder(pristine);
      expect(kinds(files)).toEqual([
        ...["meta.json", "prefix.h", "prefix.h.gch", "prefix.h.gch.sum", "prefix.i", "scan.bin"].map((f) => `v2/headers/*/${f}`),
        "v2/includes/*.json", "v2/index/kallsyms-*.bin", "v2/index/symvers-*.bin", "v2/sources/*.json",
      ].sort());
      // A run from the kept headers writes what the first (full) run wrote.
      expect(await run(pristine, join(dir, "warm"))).toEqual({ status: 0, stderr: warnings });
      expect(outputOf(join(dir, "warm"))).toEqual(reference);
      const damaged = files.filter((f) => f.startsWith("v2/headers/") || f.startsWith("v2/includes/"));
      const failures = await damageEach({ dir, pristine, files: damaged, damages: [flip("middle byte", 0.5), CUT], reference, run: async (cache, out) => {
        const r = await run(cache, out);
        return { ...r, stderr: r.stderr.replace(warnings, "") };
      } });
      expect(failures).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
