import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect } from "vitest";

export const FIXTURES = join(import.meta.dirname, "fixtures");

/**
 * Compares `actual` with the golden file. Goldens are only ever rewritten on
 * purpose: UPDATE_GOLDEN=1 npm test (never in CI, where a missing golden fails).
 */
export function expectGolden(file: string, actual: string): void {
  if (process.env.UPDATE_GOLDEN === "1" && !process.env.CI) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  expect(existsSync(file), `golden ${file} is missing (UPDATE_GOLDEN=1 npm test writes it)`).toBe(true);
  expect(actual).toBe(readFileSync(file, "utf8"));
}

/** The case folders of a stage's fixture directory, sorted. */
export function cases(stage: string): string[] {
  const dir = join(FIXTURES, stage);
  return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

export function read(...parts: string[]): string {
  return readFileSync(join(FIXTURES, ...parts), "utf8");
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * A fixture's C input: its own input.c, or the shared real kernel file that
 * its source.txt names (test/fixtures/kernel-src/<path>, or examples/...).
 */
export function readInputC(stage: string, name: string): string {
  const own = join(FIXTURES, stage, name, "input.c");
  if (existsSync(own)) return readFileSync(own, "utf8");
  const source = read(stage, name, "source.txt").trim();
  // The bundled example's kernel slice is shared too.
  if (source.startsWith("examples/")) return readFileSync(join(FIXTURES, "../..", source), "utf8");
  return readKernelSource(source);
}

/** A real kernel file shared by the fixtures. */
export function readKernelSource(path: string): string {
  return readFileSync(join(FIXTURES, "kernel-src", path), "utf8");
}
