// What a patch's file names may touch, through the whole CLI, on trees made
// per test: nothing outside --src is read, nothing outside --out and the
// scratch directory is written, the scratch directory is gone after the
// run, and a name that is not UTF-8 is still found.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../src/cli/main.js";

const EXAMPLE = resolve(import.meta.dirname, "../examples/meminfo");
const FIX = readFileSync(join(EXAMPLE, "fix.patch"));
const LATIN1 = Buffer.from("m\xe9m", "latin1"); // "mém" in latin1: not UTF-8

describe("patch paths", () => {
  let root: string;
  let scratch: string;
  let stderr: string;
  let oldTmp: string | undefined;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "klp-paths-"));
    // Every scratch directory of the run goes here, so that leftovers are seen.
    scratch = join(root, "tmp");
    mkdirSync(scratch);
    oldTmp = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    stderr = "";
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    vi.spyOn(process.stderr, "write").mockImplementation((s) => {
      stderr += String(s);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    if (oldTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = oldTmp;
    rmSync(root, { recursive: true, force: true });
  });

  /** A copy of the example's source tree at root/<dir>. */
  function tree(dir: string): string {
    const src = join(root, dir);
    mkdirSync(join(src, "fs/proc"), { recursive: true });
    for (const f of ["meminfo.c", "internal.h"]) if (existsSync(join(EXAMPLE, "src/fs/proc", f))) copyFileSync(join(EXAMPLE, "src/fs/proc", f), join(src, "fs/proc", f));
    return src;
  }

  async function extract(patch: Buffer, src: string, out = join(root, "out")): Promise<number> {
    const file = join(root, "fix.patch");
    writeFileSync(file, patch);
    return main(["extract", "--patch", file, "--src", src, "--preprocessed", join(EXAMPLE, "build/fs/proc/meminfo.i"), "--symbols", join(EXAMPLE, "kallsyms"), "--symvers", join(EXAMPLE, "Module.symvers"), "--out", out, "--no-cache"]);
  }

  function expectCleanFailure(code: number, exit: number): void {
    expect(code).toBe(exit);
    expect(stderr).not.toMatch(/internal error|\n\s+at /);
    expect(existsSync(join(root, "out"))).toBe(false);
    expect(readdirSync(scratch)).toEqual([]);
  }

  it("a/../../../victim neither reads nor writes outside --src (the issue's reproduction)", async () => {
    const src = join(root, "s/x/y/src");
    mkdirSync(src, { recursive: true });
    writeFileSync(join(root, "victim"), "IMPORTANT\n");
    writeFileSync(join(root, "s/victim"), "OTHER\n");
    const code = await extract(Buffer.from("--- a/../../../victim\n+++ b/../../../victim\n@@ -1 +1 @@\n-x\n+y\n"), src);
    expectCleanFailure(code, 2);
    expect(readFileSync(join(root, "victim"), "utf8")).toBe("IMPORTANT\n");
    expect(stderr).toMatch(/fix\.patch:1: error KLP-E003: .*`\.\.` component/);
  });

  it("a symbolic link in --src that leads out of it is refused, and nothing is read through it", async () => {
    const src = join(root, "src");
    const outside = tree("outside");
    mkdirSync(join(src, "fs"), { recursive: true });
    symlinkSync(join(outside, "fs/proc"), join(src, "fs/proc"));
    const code = await extract(FIX, src);
    expectCleanFailure(code, 2);
    expect(stderr).toMatch(/fix\.patch:1: error KLP-E003: the patch changes fs\/proc\/meminfo\.c, which is a symbolic link .* leads out of the source tree/);
  });

  it("a symbolic link inside --src is followed", async () => {
    const src = tree("src");
    mkdirSync(join(src, "real"));
    copyFileSync(join(src, "fs/proc/meminfo.c"), join(src, "real/meminfo.c"));
    rmSync(join(src, "fs/proc/meminfo.c"));
    symlinkSync(join(src, "real/meminfo.c"), join(src, "fs/proc/meminfo.c"));
    expect(await extract(FIX, src)).toBe(0);
    expect(readdirSync(scratch)).toEqual([]);
    expect(readFileSync(join(src, "real/meminfo.c"))).toEqual(readFileSync(join(EXAMPLE, "src/fs/proc/meminfo.c")));
  });

  it("a latin1 file name is found as the bytes it is (a non-C file: refused as such, not as missing)", async () => {
    const src = tree("src");
    const name = Buffer.concat([Buffer.from(`${src}/`), LATIN1, Buffer.from(".txt")]);
    writeFileSync(name, "hello\n");
    const patch = Buffer.concat([Buffer.from("--- a/"), LATIN1, Buffer.from(".txt\n+++ b/"), LATIN1, Buffer.from(".txt\n@@ -1 +1 @@\n-hello\n+world\n")]);
    const code = await extract(patch, src);
    expectCleanFailure(code, 1);
    expect(stderr).toMatch(/fix\.patch:3: error KLP-E020: the patch changes mém\.txt, which is not a C source/);
    expect(stderr).not.toMatch(/\uFFFD|KLP-E003/);
    expect(readFileSync(name, "utf8")).toBe("hello\n");
  });

  it("a latin1 .c file name is found, and refused for what later stages cannot do with it", async () => {
    const src = tree("src");
    copyFileSync(join(src, "fs/proc/meminfo.c"), Buffer.concat([Buffer.from(`${src}/fs/proc/`), LATIN1, Buffer.from(".c")]));
    const patch = Buffer.from(FIX.toString("latin1").replaceAll("fs/proc/meminfo.c", "fs/proc/m\xe9m.c"), "latin1");
    const code = await extract(patch, src);
    expectCleanFailure(code, 1);
    expect(stderr).toMatch(/fix\.patch:1: error KLP-E020: the patch changes fs\/proc\/mém\.c, whose name is not UTF-8/);
  });

  it("the file name of a missing latin1 file is shown readably", async () => {
    const src = tree("src");
    const patch = Buffer.from(FIX.toString("latin1").replaceAll("fs/proc/meminfo.c", "fs/proc/m\xe9m.c"), "latin1");
    expectCleanFailure(await extract(patch, src), 2);
    expect(stderr).toMatch(/fix\.patch:1: error KLP-E003: the patch changes fs\/proc\/mém\.c, which is not in the source tree/);
  });

  it("--out inside --src is refused before any work, also through a symbolic link", async () => {
    const src = tree("src");
    expectCleanFailure(await extract(FIX, src, join(src, "out")), 2);
    expect(stderr).toMatch(/error KLP-E019: --out .*\/src\/out is inside --src/);
    expect(existsSync(join(src, "out"))).toBe(false);
    symlinkSync(join(src, "fs"), join(root, "into-src"));
    stderr = "";
    expectCleanFailure(await extract(FIX, src, join(root, "into-src/out")), 2);
    expect(stderr).toMatch(/is inside --src .*through a symbolic link/);
    expect(readdirSync(join(src, "fs"))).toEqual(["proc"]);
    expect(await extract(FIX, src, join(root, "src-out"))).toBe(0);
  });

  it("--out that holds --src is refused before any work", async () => {
    const src = tree("src");
    writeFileSync(join(root, "report.json"), "{}\n"); // an earlier output, as --force-overwrite would replace it
    const file = join(root, "fix.patch");
    writeFileSync(file, FIX);
    const code = await main(["extract", "--patch", file, "--src", src, "--preprocessed", join(EXAMPLE, "build/fs/proc/meminfo.i"), "--symbols", join(EXAMPLE, "kallsyms"), "--symvers", join(EXAMPLE, "Module.symvers"), "--out", root, "--force-overwrite", "--no-cache"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/error KLP-E019: --out .* holds --src/);
    expect(readFileSync(join(src, "fs/proc/meminfo.c"))).toEqual(readFileSync(join(EXAMPLE, "src/fs/proc/meminfo.c")));
  });

  it("a patch with CRLF line ends finds its file and says why its hunks fail", async () => {
    const src = tree("src");
    expectCleanFailure(await extract(Buffer.from(FIX.toString("utf8").replaceAll("\n", "\r\n")), src), 2);
    expect(stderr).toMatch(/fix\.patch:3: error KLP-E002: fs\/proc\/meminfo\.c: hunk @@ -159,6 \+159,8 @@ does not apply.*\n {2}hint: the patch has CRLF/);
  });

  it("a failing hunk names its file, its @@ line and where it is in the patch", async () => {
    const src = tree("src");
    const patch = Buffer.from(FIX.toString("utf8").replace(" \tarch_report_meminfo(m);", " \tarch_report_meminfo_elsewhere(m);"));
    expectCleanFailure(await extract(patch, src), 2);
    expect(stderr).toMatch(/fix\.patch:3: error KLP-E002: fs\/proc\/meminfo\.c: hunk @@ -159,6 \+159,8 @@ does not apply/);
    expect(readFileSync(join(src, "fs/proc/meminfo.c"))).toEqual(readFileSync(join(EXAMPLE, "src/fs/proc/meminfo.c")));
  });
});
