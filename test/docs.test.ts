// The README's diagnostic table is part of the contract: every code in the
// catalogue is documented, with the exit code the CLI really returns.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CODES } from "../src/diagnostics/codes.js";

describe("README", () => {
  const readme = readFileSync(join(import.meta.dirname, "../README.md"), "utf8");
  for (const [code, info] of Object.entries(CODES)) {
    it(`documents ${code}`, () => {
      const row = readme.split("\n").find((l) => l.startsWith(`| ${code} |`));
      expect(row, `${code} missing from README`).toBeDefined();
      const exit = row!.split("|")[2]!.trim();
      expect(exit).toBe(code.startsWith("KLP-W") ? "–" : String(info.exit));
    });
  }
});
