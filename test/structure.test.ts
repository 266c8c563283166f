import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(ROOT, "src");
const MAX_LINES = 400;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith(".ts") ? [path] : [];
  });
}

const rel = (path: string) => relative(ROOT, path);
const files = sourceFiles(SRC).sort();

/** Each src file's relative imports (type-only ones too), as repository-relative paths. */
const graph = new Map<string, string[]>(
  files.map((file) => {
    const text = readFileSync(file, "utf8");
    const targets = [...text.matchAll(/\bfrom\s+"(\.\.?\/[^"]+)"/g)].map((m) => rel(resolve(dirname(file), m[1]!.replace(/\.js$/, ".ts"))));
    return [rel(file), targets];
  }),
);

/** The stage folder of a src path: `src/decide/x.ts` → `decide`, `src/pipeline.ts` → `.` (the root). */
const folderOf = (path: string) => {
  const parts = path.split("/");
  return parts.length > 2 ? parts[1]! : ".";
};

/** The cycles of a graph, each once, as the path that closes it (depth-first search). */
function cycles(edges: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of [...(edges.get(node) ?? [])].sort()) {
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...edges.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

describe("source structure", () => {
  it("every relative import names a src file", () => {
    const missing = [...graph].flatMap(([from, tos]) => tos.filter((to) => !graph.has(to)).map((to) => `${from} → ${to}`));
    expect(missing).toEqual([]);
  });

  it("has no import cycle between files", () => {
    const edges = new Map([...graph].map(([from, tos]) => [from, new Set(tos)]));
    expect(cycles(edges).map((c) => c.join(" → "))).toEqual([]);
  });

  it("has no import cycle between stage folders", () => {
    const edges = new Map<string, Set<string>>();
    for (const [from, tos] of graph) {
      const set = edges.get(folderOf(from)) ?? new Set<string>();
      edges.set(folderOf(from), set);
      // The root files (pipeline, analyse-tu, ...) orchestrate the stages: only folder-to-folder edges count.
      if (folderOf(from) === ".") continue;
      for (const to of tos) if (folderOf(to) !== folderOf(from) && folderOf(to) !== ".") set.add(folderOf(to));
    }
    expect(cycles(edges).map((c) => c.join(" → "))).toEqual([]);
  });

  it(`has no src file over ${MAX_LINES} lines`, () => {
    const long = files.map(rel).filter((f) => readFileSync(join(ROOT, f), "utf8").split("\n").length - 1 > MAX_LINES);
    expect(long).toEqual([]);
  });
});
