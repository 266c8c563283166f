// bin/klp-ccp as users run it (a command): it starts node without NODE_EXTRA_CA_CERTS, and
// loads the bundled CLI through V8's code cache, writing a new cache when V8 rejects the one
// beside the bundle. Runs the built CLI (dist/, made by `npm ci`).
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

describe("bin/klp-ccp", () => {
  it("starts node without the certificates NODE_EXTRA_CA_CERTS names (node reads them before any script)", () => {
    expect(existsSync(join(ROOT, "dist/cli/main.bundle.cjs")), "run npm run build first").toBe(true);
    // node warns at start-up when it tries to load a certificate file that is not there.
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: "/nonexistent/klp-ccp-certs.pem" };
    const asCommand = spawnSync(join(ROOT, "bin/klp-ccp"), ["--version"], { env, encoding: "utf8" });
    expect(asCommand.status).toBe(0);
    expect(asCommand.stdout.trim()).toBe(VERSION);
    expect(asCommand.stderr).toBe("");
    const withNode = spawnSync(process.execPath, [join(ROOT, "bin/klp-ccp"), "--version"], { env, encoding: "utf8" });
    expect(withNode.stdout.trim()).toBe(VERSION);
    expect(withNode.stderr).toMatch(/extra certs/);
  });

  it("replaces a code cache V8 rejects", () => {
    const copy = mkdtempSync(join(tmpdir(), "klp-ccp-launcher-"));
    try {
      // Timestamps kept: the launcher takes the bundle only when it is not older than dist/cli/main.js.
      for (const d of ["bin", "dist", "package.json"]) cpSync(join(ROOT, d), join(copy, d), { recursive: true, preserveTimestamps: true });
      symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
      const cache = join(copy, "dist/cli/main.bundle.cjs.v8cache");
      writeFileSync(cache, "not a code cache");
      const r = spawnSync(join(copy, "bin/klp-ccp"), ["--version"], { encoding: "utf8" });
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe(VERSION);
      expect(statSync(cache).size).toBeGreaterThan(1000);
      expect(readFileSync(cache, "utf8")).not.toBe("not a code cache");
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 30_000);
});
