// Unreadable inputs (issue 14, item 4): each input extract reads, made
// unreadable in turn, gives a located KLP-E004 and exit 2, no stack trace and
// no output. Run as an unprivileged user (setpriv), since root reads anything;
// skipped when run as root without setpriv.
import { describe, expect, it } from "vitest";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const EXAMPLE = join(ROOT, "examples/meminfo");
const BIN = join(ROOT, "bin/klp-ccp");
const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync("setpriv", ["--version"]).status === 0;
const NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];

/** The example's inputs, copied into `dir` so that one can be made unreadable. */
function inputs(dir: string): Record<string, string> {
  cpSync(join(EXAMPLE, "src"), join(dir, "src"), { recursive: true });
  mkdirSync(join(dir, "ipa/fs/proc"), { recursive: true });
  cpSync(join(EXAMPLE, "build/fs/proc/meminfo.c.000i.ipa-clones"), join(dir, "ipa/fs/proc/meminfo.c.000i.ipa-clones"));
  for (const f of ["fix.patch", "kallsyms", "Module.symvers", "build/fs/proc/meminfo.i"]) cpSync(join(EXAMPLE, f), join(dir, f.replace(/.*\//, "")));
  return { patch: join(dir, "fix.patch"), symbols: join(dir, "kallsyms"), symvers: join(dir, "Module.symvers"), preprocessed: join(dir, "meminfo.i"), ipa: join(dir, "ipa/fs/proc/meminfo.c.000i.ipa-clones"), srcFile: join(dir, "src/fs/proc/meminfo.c"), srcHeader: join(dir, "src/fs/proc/internal.h") };
}

describe.skipIf(isRoot && !hasSetpriv)("unreadable inputs", () => {
  for (const which of ["patch", "symbols", "symvers", "preprocessed", "ipa", "srcFile", "srcHeader"]) {
    it(`--${which} unreadable: located KLP-E004, exit 2`, () => {
      const dir = mkdtempSync(join(tmpdir(), "klp-ccp-unreadable-"));
      try {
        chmodSync(dir, 0o1777);
        const files = inputs(dir);
        chmodSync(files[which]!, 0);
        const out = join(dir, "out");
        const argv = [BIN, "extract", "--patch", files.patch!, "--src", join(dir, "src"), "--preprocessed", files.preprocessed!, "--symbols", files.symbols!, "--symvers", files.symvers!, "--ipa-clones", join(dir, "ipa"), "--out", out, "--no-cache", "-q"];
        const r = isRoot ? spawnSync(NOBODY[0]!, [...NOBODY.slice(1), process.execPath, ...argv], { encoding: "utf8" }) : spawnSync(process.execPath, argv, { encoding: "utf8" });
        expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 2, stderr: expect.stringMatching(/error KLP-E004/) as unknown as string });
        expect(r.stderr).toContain(files[which]!.replace(`${dir}/src/`, ""));
        expect(r.stderr).toMatch(/permission denied/);
        expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
        expect(existsSync(out)).toBe(false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 20000);
  }

  // The other commands' input files.
  const commands: Record<string, (file: string, dir: string) => string[]> = {
    "ipa-clones DUMP": (file) => ["ipa-clones", "--symbol", "show_val_kb", file],
    "explain --report": (file) => ["explain", "show_val_kb", "--report", file],
    "extract --kernels": (file, dir) => ["extract", "--patch", join(EXAMPLE, "fix.patch"), "--kernels", file, "--out", join(dir, "out")],
  };
  for (const [name, argvOf] of Object.entries(commands)) {
    it(`${name} unreadable: KLP-E004, exit 2`, () => {
      const dir = mkdtempSync(join(tmpdir(), "klp-ccp-unreadable-"));
      try {
        chmodSync(dir, 0o1777);
        const file = join(dir, "input");
        cpSync(name.startsWith("ipa") ? join(EXAMPLE, "build/fs/proc/meminfo.c.000i.ipa-clones") : join(import.meta.dirname, "fixtures/extract/meminfo-example/expected/report.json"), file);
        chmodSync(file, 0);
        const argv = [BIN, ...argvOf(file, dir)];
        const r = isRoot ? spawnSync(NOBODY[0]!, [...NOBODY.slice(1), process.execPath, ...argv], { encoding: "utf8" }) : spawnSync(process.execPath, argv, { encoding: "utf8" });
        expect(r.status, r.stderr).toBe(2);
        expect(r.stderr).toMatch(/error KLP-E0(04|19): .*permission denied/);
        expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 20000);
  }
});
