// --symbols and --symvers that fstat() cannot size (issue 14, item 2): a pipe
// (`--symbols <(...)`) and a procfs file are read to their end, and never
// kept in the index cache, which keys on size, mtime and inode.
import { describe, expect, it } from "vitest";
import { cliHarness } from "./cli-harness.js";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { spawn, spawnSync } from "node:child_process";
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
  const io = cliHarness("klp-ccp-test-");

  const run = (symbols: string, symvers: string, out: string) =>
    main(["extract", "--patch", join(EXAMPLE, "fix.patch"), "--src", join(EXAMPLE, "src"), "--preprocessed", join(EXAMPLE, "build/fs/proc/meminfo.i"), "--symbols", symbols, "--symvers", symvers, "--out", join(io.scratch, out), "--cache-dir", join(io.scratch, "cache"), "-q"]);

  it("reads both tables from pipes, keeps no index of them, and a second pipe's content counts", async () => {
    const kallsyms = readFileSync(join(EXAMPLE, "kallsyms"), "utf8");
    pipeOf(join(io.scratch, "ks1"), kallsyms);
    pipeOf(join(io.scratch, "sv1"), readFileSync(join(EXAMPLE, "Module.symvers"), "utf8"));
    expect(await run(join(io.scratch, "ks1"), join(io.scratch, "sv1"), "out1"), io.stderr).toBe(0);
    expect(readdirSync(join(io.scratch, "out1")).sort()).toEqual(["Kbuild", "livepatch_fix.c", "patched_funcs.csv", "report.json"]);
    const index = join(io.scratch, "cache", "index");
    expect(existsSync(index) ? readdirSync(index) : []).toEqual([]);
    // The same kind of input with other content: it is read, not answered from an entry.
    pipeOf(join(io.scratch, "ks2"), kallsyms.split("\n").filter((l) => !l.endsWith(" num_poisoned_pages")).join("\n"));
    pipeOf(join(io.scratch, "sv2"), readFileSync(join(EXAMPLE, "Module.symvers"), "utf8"));
    expect(await run(join(io.scratch, "ks2"), join(io.scratch, "sv2"), "out2")).toBe(1);
    expect(io.stderr).toMatch(/KLP-E012: variable num_poisoned_pages/);
  });
});
