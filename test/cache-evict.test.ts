// --cache-size: after a run that wrote, --cache-dir is brought under its bound by removing the
// least recently used entries, whatever their kind; reading an entry marks it used.
import { describe, expect, it } from "vitest";
import { cliHarness } from "./cli-harness.js";
import { existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../src/cli/main.js";
import { DiagnosticSink } from "../src/diagnostics/diagnostic.js";
import { openCacheDir } from "../src/cache/open-cache-dir.js";
import { readEntry, writeEntry } from "../src/cache/cache-files.js";
import { evictLeastRecent, STALE_BUILD_MS } from "../src/cache/evict.js";
import { cacheKey } from "../src/cache/layout.js";

const HOUR = 3_600_000;
/** Sets a path's mtime to `hoursAgo` hours before now. */
const age = (path: string, hoursAgo: number) => {
  const t = new Date(Date.now() - hoursAgo * HOUR);
  utimesSync(path, t, t);
};

describe("cache size bound", () => {
  const io = cliHarness("klp-ccp-cache-evict-");

  it("removes the least recently used entries of every kind until the rest fits; an entry read is used", () => {
    const cache = openCacheDir(join(io.scratch, "cache"), new DiagnosticSink(), 10_200)!;
    const kb = (n: number) => "x".repeat(n * 1000);
    const keys = { answer: cacheKey("includes", "a"), outline: cacheKey("sources", "b"), index: cacheKey("index", "c"), recent: cacheKey("includes", "d") };
    writeEntry(cache, "includes", keys.answer, ".json", kb(3));
    writeEntry(cache, "sources", keys.outline, ".json", kb(3));
    writeEntry(cache, "index", keys.index, ".bin", kb(3));
    writeEntry(cache, "includes", keys.recent, ".json", kb(1));
    expect(cache.wrote).toBe(true);
    // A header entry is a directory: its size is its files', its use the newest of their mtimes.
    const headers = join(cache.root, "headers", cacheKey("headers", "e"));
    mkdirSync(headers, { recursive: true });
    writeFileSync(join(headers, "meta.json"), kb(1));
    writeFileSync(join(headers, "prefix.i"), kb(2));
    age(join(cache.root, "includes", `${keys.answer}.json`), 5);
    age(join(cache.root, "sources", `${keys.outline}.json`), 4);
    age(join(cache.root, "index", `${keys.index}.bin`), 3);
    age(join(headers, "prefix.i"), 6);
    age(join(headers, "meta.json"), 2);
    age(headers, 6);
    age(join(cache.root, "includes", `${keys.recent}.json`), 1);
    // 13 kB kept (and 40 bytes of seal per entry), 10.2 kB allowed. Read now, the oldest answer becomes the most recently used.
    expect(readEntry(cache, "includes", keys.answer, ".json")?.length).toBe(3000);
    expect(evictLeastRecent(cache)).toEqual([`sources/${keys.outline}.json`]);
    cache.maxBytes = 6000;
    expect(evictLeastRecent(cache)).toEqual([`index/${keys.index}.bin`, `headers/${cacheKey("headers", "e")}`]);
    expect(readdirSync(join(cache.root, "includes")).sort()).toEqual([`${keys.answer}.json`, `${keys.recent}.json`].sort());
  });

  it("removes a header entry's building directory that a dead run left, and leaves one being built", () => {
    const cache = openCacheDir(join(io.scratch, "cache"), new DiagnosticSink(), 1 << 30)!;
    const dead = join(cache.root, "headers", "a.building");
    const live = join(cache.root, "headers", "b.building");
    for (const d of [dead, live]) mkdirSync(d, { recursive: true });
    age(dead, STALE_BUILD_MS / HOUR + 0.1);
    expect(evictLeastRecent(cache)).toEqual([]);
    expect([existsSync(dead), existsSync(live)]).toEqual([false, true]);
  });

  it("is applied by extract (--cache-size 0 keeps nothing, and the run is the same) and checked as a usage error", async () => {
    const run = (cache: string, out: string, ...more: string[]) => main(["extract", "--example", "-q", "--cache-dir", join(io.scratch, cache), "--out", join(io.scratch, out), ...more]);
    const kept = (cache: string) => ["index", "sources"].flatMap((kind) => readdirSync(join(io.scratch, cache, "v2", kind)));
    expect(await run("bounded", "a", "--cache-size", "0")).toBe(0);
    expect(kept("bounded")).toEqual([]);
    expect(await run("default", "b")).toBe(0);
    expect(kept("default").length).toBeGreaterThan(2);
    expect(readFileSync(join(io.scratch, "a", "livepatch_meminfo.c"), "utf8")).toBe(readFileSync(join(io.scratch, "b", "livepatch_meminfo.c"), "utf8"));
    expect(await run("default", "c", "--cache-size", "1.5")).toBe(2);
    expect(io.stderr).toMatch(/error KLP-E019: --cache-size 1\.5: not a whole number of MiB/);
  });
});
