// bin/klp-ccp as users run it (a command): it starts node without NODE_EXTRA_CA_CERTS, and
// loads the bundled CLI through node's compile cache (node >= 22.1), else through V8's code
// cache beside the bundle, writing a new one when V8 rejects it. Runs the built CLI (dist/,
// made by `npm ci`).
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import nodeModule from "node:module";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
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
    // Newer node (22.23 here) loads them only for a TLS connection: then there is nothing to avoid.
    const eager = /extra certs/.test(spawnSync(process.execPath, ["-e", "0"], { env, encoding: "utf8" }).stderr);
    expect(withNode.stderr).toMatch(eager ? /extra certs/ : /^$/);
  });

  const nodeCompileCache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === "function";

  it.runIf(nodeCompileCache)("uses node's compile cache where node has one (22.1 and later)", () => {
    const dir = mkdtempSync(join(tmpdir(), "klp-ccp-compile-cache-"));
    try {
      const r = spawnSync(join(ROOT, "bin/klp-ccp"), ["--version"], { env: { ...process.env, NODE_COMPILE_CACHE: dir }, encoding: "utf8" });
      expect(r.stdout.trim()).toBe(VERSION);
      const kept = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => statSync(join(dir, f)).isFile());
      expect(kept.map((f) => statSync(join(dir, f)).size).some((n) => n > 10_000)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(nodeCompileCache)("replaces a code cache V8 rejects (node before 22.1)", () => {
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
