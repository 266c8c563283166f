// --cache-dir is trusted with what goes into the livepatch: it must be the user's own and
// writable by no one else (KLP-E038, as ssh checks a key's directory), its path is made
// absolute before anything runs, and nothing inside it is followed through a symlink.
import { describe, expect, it } from "vitest";
import { cliHarness } from "./cli-harness.js";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../src/cli/main.js";
import { DiagnosticSink } from "../src/diagnostics/diagnostic.js";
import { openCacheDir } from "../src/cache/open-cache-dir.js";

describe("--cache-dir", () => {
  const io = cliHarness("klp-ccp-cache-dir-");
  const extract = (cache: string, out: string) => main(["extract", "--example", "-q", "--cache-dir", cache, "--out", join(io.scratch, out)]);

  it("is refused (exit 2, nothing written) when its group or others can write it", async () => {
    const cache = join(io.scratch, "shared");
    mkdirSync(cache);
    chmodSync(cache, 0o775);
    expect(await extract(cache, "out")).toBe(2);
    expect(io.stderr).toMatch(/error KLP-E038: --cache-dir .*shared is writable by its group \(mode 0775\)/);
    expect(io.stderr).toMatch(/hint: chmod go-w/);
    expect(readdirSync(cache)).toEqual([]);
    expect(existsSync(join(io.scratch, "out"))).toBe(false);
  });

  it.skipIf(process.getuid?.() !== 0)("is refused when another user owns it (checked as root, who can give it away)", async () => {
    const cache = join(io.scratch, "theirs");
    mkdirSync(cache, { mode: 0o700 });
    chownSync(cache, 65534, 65534);
    expect(await extract(cache, "out")).toBe(2);
    expect(io.stderr).toMatch(/error KLP-E038: --cache-dir .*theirs is owned by uid 65534, not by you \(uid 0\)/);
  });

  it("is made (0700) when missing, and made absolute", () => {
    const cwd = process.cwd();
    try {
      process.chdir(io.scratch);
      const cache = openCacheDir("rel/cache", new DiagnosticSink())!;
      expect(cache.root).toBe(join(io.scratch, "rel/cache/v2"));
      expect(lstatSync(join(io.scratch, "rel/cache")).mode & 0o777).toBe(0o700);
    } finally {
      process.chdir(cwd);
    }
  });

  it("follows no symlink inside it: a linked directory or entry is replaced, and what it pointed to is left alone", async () => {
    const cache = join(io.scratch, "cache");
    expect(await extract(cache, "a")).toBe(0);
    const outside = join(io.scratch, "outside");
    mkdirSync(outside);
    writeFileSync(join(outside, "victim"), "keep me\n");
    // The index directory becomes a link to a directory elsewhere; an outline becomes a link to a file elsewhere.
    rmSync(join(cache, "v2/index"), { recursive: true });
    symlinkSync(outside, join(cache, "v2/index"));
    const outline = readdirSync(join(cache, "v2/sources"))[0]!;
    rmSync(join(cache, "v2/sources", outline));
    symlinkSync(join(outside, "victim"), join(cache, "v2/sources", outline));
    expect(await extract(cache, "b")).toBe(0);
    expect(io.stderr).toMatch(/warning KLP-W011: 2 cache entries .* failed the integrity check \((index, sources\/[0-9a-f]+\.json|sources\/[0-9a-f]+\.json, index)\)/);
    expect(readdirSync(outside)).toEqual(["victim"]);
    expect(readFileSync(join(outside, "victim"), "utf8")).toBe("keep me\n");
    expect(lstatSync(join(cache, "v2/index")).isDirectory()).toBe(true);
    expect(lstatSync(join(cache, "v2/sources", outline)).isFile()).toBe(true);
    expect(readFileSync(join(io.scratch, "b", "livepatch_meminfo.c"), "utf8")).toBe(readFileSync(join(io.scratch, "a", "livepatch_meminfo.c"), "utf8"));
  });
});
