// extract --kernels: the bundled example's kernel twice plus a broken entry.
// Runs the built CLI (dist/, made by `npm ci`), one child process per kernel.
import { afterEach, describe, expect, it, vi } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../src/cli/main.js";
import { combinedExit } from "../src/cli/kernels.js";
import { FIXTURES } from "./golden.js";

describe("extract --kernels", () => {
  afterEach(() => vi.restoreAllMocks());
  it("makes one livepatch per kernel and reports the broken one", async () => {
    expect(existsSync(resolve(import.meta.dirname, "../dist/cli/main.js")), "run npm run build first").toBe(true);
    const out = mkdtempSync(join(tmpdir(), "klp-ccp-kernels-"));
    let stdout = "";
    vi.spyOn(process.stdout, "write").mockImplementation((s) => {
      stdout += String(s);
      return true;
    });
    try {
      const code = await main(["extract", "--patch", resolve(import.meta.dirname, "../examples/meminfo/fix.patch"), "--kernels", join(FIXTURES, "kernels", "kernels.json"), "--out", join(out, "lp"), "--json", "--cache-dir", join(out, "cache")]);
      const results = JSON.parse(stdout) as Array<{ id: string; status: string; patched: string[]; reason: string }>;
      expect(code).toBe(2);
      expect(results.map((r) => [r.id, r.status, r.patched.join(",")])).toEqual([
        ["debian-6.1.0-56", "ok", "meminfo_proc_show"],
        ["same-kernel-again", "ok", "meminfo_proc_show"],
        ["klp-reloc-here", "ok", "meminfo_proc_show"],
        ["broken", "failed", ""],
      ]);
      // A kernel's own "externalize" (an IBT kernel among others) wins over the command line's.
      const mode = (id: string) => (JSON.parse(readFileSync(join(out, "lp", id, "report.json"), "utf8")) as { externalize: string }).externalize;
      expect([mode("same-kernel-again"), mode("klp-reloc-here")]).toEqual(["kallsyms", "klp-reloc"]);
      expect(results[3]!.reason).toMatch(/KLP-E004.*no-such-build-tree/);
      const a = readFileSync(join(out, "lp", "debian-6.1.0-56", "livepatch_fix.c"), "utf8");
      expect(readFileSync(join(out, "lp", "same-kernel-again", "livepatch_fix.c"), "utf8")).toBe(a);
      expect(existsSync(join(out, "lp", "broken"))).toBe(false);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe("extract --kernels exit code", () => {
  it("an internal error of one kernel (3) is the run's exit code, above bad input and an unsafe patch", () => {
    expect(combinedExit([0, 2, 3, 1])).toBe(3);
    expect(combinedExit([0, 1, 2])).toBe(2);
    expect(combinedExit([0, 1])).toBe(1);
    expect(combinedExit([0, 0])).toBe(0);
    // Any other code (a crash of node itself) is not "unsafe".
    expect(combinedExit([1, 134])).toBe(2);
  });
});
