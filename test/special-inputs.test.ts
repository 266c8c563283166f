// --symbols and --symvers that fstat() cannot size (issue 14, item 2): a pipe
// (`--symbols <(...)`) and a procfs file are read to their end, and never
// kept in the index cache, which keys on size, mtime and inode.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { spawn, spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../src/cli/main.js";

const EXAMPLE = resolve(import.meta.dirname, "../examples/meminfo");

/** A FIFO that hands out `text` once, like bash's <(...). */
function pipeOf(path: string, text: string): void {
  expect(spawnSync("mkfifo", [path]).status).toBe(0);
  const writer = spawn("sh", ["-c", 'cat >"$0"', path], { stdio: ["pipe", "ignore", "ignore"] });
  writer.stdin.end(text);
}

describe("extract with piped symbol tables", () => {
  let scratch: string;
  let stderr: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), "klp-ccp-test-"));
    stderr = "";
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    vi.spyOn(process.stderr, "write").mockImplementation((s) => {
      stderr += String(s);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(scratch, { recursive: true, force: true });
  });

  const run = (symbols: string, symvers: string, out: string) =>
    main(["extract", "--patch", join(EXAMPLE, "fix.patch"), "--src", join(EXAMPLE, "src"), "--preprocessed", join(EXAMPLE, "build/fs/proc/meminfo.i"), "--symbols", symbols, "--symvers", symvers, "--out", join(scratch, out), "--cache-dir", join(scratch, "cache"), "-q"]);

  it("reads both tables from pipes, keeps no index of them, and a second pipe's content counts", async () => {
    const kallsyms = readFileSync(join(EXAMPLE, "kallsyms"), "utf8");
    pipeOf(join(scratch, "ks1"), kallsyms);
    pipeOf(join(scratch, "sv1"), readFileSync(join(EXAMPLE, "Module.symvers"), "utf8"));
    expect(await run(join(scratch, "ks1"), join(scratch, "sv1"), "out1"), stderr).toBe(0);
    expect(readdirSync(join(scratch, "out1")).sort()).toEqual(["Kbuild", "livepatch_fix.c", "patched_funcs.csv", "report.json"]);
    const index = join(scratch, "cache", "index");
    expect(existsSync(index) ? readdirSync(index) : []).toEqual([]);
    // The same kind of input with other content: it is read, not answered from an entry.
    pipeOf(join(scratch, "ks2"), kallsyms.split("\n").filter((l) => !l.endsWith(" num_poisoned_pages")).join("\n"));
    pipeOf(join(scratch, "sv2"), readFileSync(join(EXAMPLE, "Module.symvers"), "utf8"));
    expect(await run(join(scratch, "ks2"), join(scratch, "sv2"), "out2")).toBe(1);
    expect(stderr).toMatch(/KLP-E012: variable num_poisoned_pages/);
  });
});
