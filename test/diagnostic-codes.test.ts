// Every diagnostic code of the README's table is triggered somewhere a test
// checks it: a fixture's expected output (an args.json's "codes", an
// expected*.json/.txt or result.txt golden), a kernel case's expected
// refusal, or an assertion of a test driver. A code the table lists and no
// test makes is documented behaviour nobody checks.
import { readFileSync, readdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const CODE = /KLP-[EW]\d{3}/g;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/** The codes of the README's "Diagnostic codes" table, in its order. */
export function tableCodes(readme: string): string[] {
  const section = readme.slice(readme.indexOf("### Diagnostic codes"));
  return [...section.matchAll(/^\| (KLP-[EW]\d{3}) \|/gm)].map((m) => m[1]!);
}

/** Codes an expected output of a fixture names. */
function fixtureCodes(): Set<string> {
  const out = new Set<string>();
  for (const f of files(join(ROOT, "test/fixtures"))) {
    const name = basename(f);
    if (name === "args.json") {
      const args = JSON.parse(readFileSync(f, "utf8")) as { codes?: string[] };
      for (const c of args.codes ?? []) out.add(c);
    } else if (/^expected.*\.(?:json|txt)$|^result\.txt$/.test(name)) {
      for (const m of readFileSync(f, "utf8").matchAll(CODE)) out.add(m[0]);
    }
  }
  return out;
}

/** Codes a kernel case expects as a refusal (in either mode, on any kernel). */
function kernelCaseCodes(): Set<string> {
  const out = new Set<string>();
  const visit = (v: unknown, key = ""): void => {
    if (typeof v === "string" && key.startsWith("expect_refusal")) for (const m of v.matchAll(CODE)) out.add(m[0]);
    else if (Array.isArray(v)) v.forEach((x) => visit(x, key));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) visit(x, k);
  };
  for (const f of files(join(ROOT, "test/kernel-cases")).filter((f) => f.endsWith(".json"))) visit(JSON.parse(readFileSync(f, "utf8")));
  return out;
}

/** Codes a test driver asserts (named on a code line, not a comment, of test/*.test.ts other than this one). */
function assertedCodes(): Set<string> {
  const out = new Set<string>();
  for (const f of files(join(ROOT, "test")).filter((f) => f.endsWith(".test.ts") && !f.endsWith("diagnostic-codes.test.ts") && !f.includes("/fixtures/"))) {
    for (const line of readFileSync(f, "utf8").split("\n")) {
      if (/^\s*(?:\/\/|\*|\/\*)/.test(line)) continue;
      for (const m of line.matchAll(CODE)) out.add(m[0]);
    }
  }
  return out;
}

describe("diagnostic codes", () => {
  const table = tableCodes(readFileSync(join(ROOT, "README.md"), "utf8"));

  it("the README's table is read", () => {
    expect(table.length).toBeGreaterThan(40);
    expect(new Set(table).size).toBe(table.length);
  });

  it("every code of the table is triggered by a fixture, a kernel case or a test", () => {
    const triggered = new Set([...fixtureCodes(), ...kernelCaseCodes(), ...assertedCodes()]);
    expect(table.filter((c) => !triggered.has(c))).toEqual([]);
  });
});
