// Per test: a scratch directory, and main()'s stdout swallowed and stderr kept,
// for the tests that run the CLI in-process. Call it inside a describe().
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, vi } from "vitest";

export interface CliHarness {
  /** This test's scratch directory (removed after it). */
  readonly scratch: string;
  /** What the CLI wrote to stderr during this test. */
  readonly stderr: string;
}

export function cliHarness(prefix = "klp-ccp-test-"): CliHarness {
  const state = { scratch: "", stderr: "" };
  beforeEach(() => {
    state.scratch = mkdtempSync(join(tmpdir(), prefix));
    state.stderr = "";
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    vi.spyOn(process.stderr, "write").mockImplementation((s) => {
      state.stderr += String(s);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(state.scratch, { recursive: true, force: true });
  });
  return state;
}
