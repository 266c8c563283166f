// Driver for the input stage: each test/fixtures/input/<case>/input.* is read
// by the reader its name selects; expected.json holds the parsed result and
// the diagnostics (error fixtures sit next to valid ones).
import { describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileStamp, loadIndex, storeIndex } from "../src/input/index-cache.js";
import { openCacheDir } from "../src/cache/open-cache-dir.js";
import { seal, unseal } from "../src/cache/seal.js";
import { DiagnosticSink } from "../src/diagnostics/diagnostic.js";
import { readPatch } from "../src/input/diff.js";
import { readSymbolTable } from "../src/input/kallsyms.js";
import { readSymvers } from "../src/input/symvers.js";
import { readIpaClones } from "../src/input/ipa-clones.js";
import { diskOutlineStore } from "../src/input/outline-store.js";
import { readAhead } from "../src/util/read-ahead.js";
import { parseSourceFile } from "../src/parse/source-file.js";
import { FIXTURES, cases, expectGolden, json, read } from "./golden.js";

const readers: Record<string, (file: string, text: string, sink: DiagnosticSink, bytes: Buffer) => unknown> = {
  // A patch is read as bytes (file names need not be UTF-8).
  diff: (f, _t, s, bytes) => readPatch(f, bytes, s),
  kallsyms: (f, t, s) => {
    const table = readSymbolTable(f, t, s);
    return { modules: [...table.modules], byName: Object.fromEntries([...table.byName.keys()].map((n) => [n, table.byName.get(n)])) };
  },
  symvers: (f, t, s) => {
    const table = readSymvers(f, t, s);
    return Object.fromEntries([...table.keys()].map((n) => [n, table.get(n)]));
  },
  ipa: (f, t, s) => readIpaClones(f, t, s),
};

describe("input readers", () => {
  for (const name of cases("input")) {
    it(name, () => {
      const kind = name.split("-")[0]!;
      const file = name.startsWith("diff") ? "input.patch" : "input.txt";
      const sink = new DiagnosticSink();
      const result = readers[kind]!(file, read("input", name, file), sink, readFileSync(join(FIXTURES, "input", name, file)));
      expectGolden(join(FIXTURES, "input", name, "expected.json"), json({ result: result ?? null, diagnostics: sink.items }));
    });
  }
});

// The symbol tables' index kept in --cache-dir must read back to the same table, and only for the same file.
describe("symbol-table index cache", () => {
  for (const name of cases("input").filter((n) => /^(kallsyms|symvers)-/.test(n))) {
    it(name, () => {
      const kind = name.split("-")[0]!;
      const path = join(FIXTURES, "input", name, "input.txt");
      const dir = mkdtempSync(join(tmpdir(), "klp-index-"));
      try {
        const cache = { dir: openCacheDir(dir, new DiagnosticSink())!, stamp: fileStamp(path) };
        const dump = () => {
          const sink = new DiagnosticSink();
          if (kind === "kallsyms") {
            const t = readSymbolTable(path, readFileSync(path), sink, cache);
            return { modules: [...t.modules].sort(), byName: [...t.byName.keys()].map((n) => [n, t.byName.get(n), t.byName.has(n)]), first: t.byName.at(0), past: t.byName.at(1e9), missing: t.byName.get("no such symbol") ?? null, errors: sink.items.length };
          }
          const t = readSymvers(path, readFileSync(path), sink, cache);
          return { byName: [...t.keys()].map((n) => [n, t.get(n), t.has(n)]), missing: t.get("no such symbol") ?? null, errors: sink.items.length };
        };
        const read = dump();
        const kept = loadIndex(cache.dir, kind, path, cache.stamp, () => true);
        // Only a clean read is kept.
        expect(kept !== undefined).toBe(read.errors === 0);
        expect(loadIndex(cache.dir, kind, path, `${cache.stamp}x`, () => true)).toBeUndefined();
        expect(dump()).toEqual(read);
        if (kept) {
          // An entry whose checksum holds but whose hash table has no empty slot (a lookup would
          // probe forever) is not used: the table is indexed again, and the entry made again.
          const count = kind === "kallsyms" ? (kept.meta as { count: number }).count : (kept.meta as number);
          storeIndex(cache.dir, kind, path, cache.stamp, count, { meta: kept.meta, arrays: [new Int32Array(kept.arrays[0]!.length).fill(0), ...kept.arrays.slice(1)] });
          expect(dump()).toEqual(read);
          expect(loadIndex(cache.dir, kind, path, cache.stamp, () => true)?.arrays).toEqual(kept.arrays);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe("input: outlines of source files kept on disk", () => {
  it("keeps the outline of a parsed file and reads it back for the same text only", () => {
    const dir = mkdtempSync(join(tmpdir(), "klp-outlines-"));
    try {
      const cache = openCacheDir(dir, new DiagnosticSink())!;
      const store = diskOutlineStore(cache)!;
      const text = "static int a(void)\n{\n\treturn 1;\n}\n";
      parseSourceFile("a.c", text, { outlines: store });
      const sources = join(cache.root, "sources");
      expect(readdirSync(sources)).toHaveLength(1);
      const kept = store.get(text);
      expect(kept?.items.map((i) => [i.kind, i.name, i.nodeType])).toEqual([["function", "a", "function_definition"]]);
      expect(store.get(`${text}\n`)).toBeUndefined();
      // A damaged entry is no entry: it is removed and noted for the run's warning.
      const entry = readdirSync(sources)[0]!;
      const good = readFileSync(join(sources, entry));
      writeFileSync(join(sources, entry), "{ not json");
      expect(store.get(text)).toBeUndefined();
      expect(cache.discarded).toEqual([`sources/${entry}`]);
      expect(readdirSync(sources)).toHaveLength(0);
      // So is one whose checksum holds but whose offsets lie outside the text (a writer's bug, or a forgery).
      const outline = JSON.parse(unseal(good)!.toString("utf8")) as { items: Array<{ end: number }> };
      outline.items[0]!.end = text.length + 1;
      writeFileSync(join(sources, entry), seal(JSON.stringify(outline)));
      expect(store.get(text)).toBeUndefined();
      expect(readdirSync(sources)).toHaveLength(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is no store without a cache directory", () => {
    expect(diskOutlineStore(undefined)).toBeUndefined();
  });
});

describe("input: files read ahead on the thread pool", () => {
  it("gives a file's bytes, whole, and undefined for a file that cannot be read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "klp-ahead-"));
    try {
      const big = Buffer.alloc(3 << 20, "kallsyms line\n");
      writeFileSync(join(dir, "table"), big);
      writeFileSync(join(dir, "empty"), "");
      expect((await readAhead(join(dir, "table")))?.equals(big)).toBe(true);
      expect((await readAhead(join(dir, "empty")))?.length).toBe(0);
      expect(await readAhead(join(dir, "missing"))).toBeUndefined();
      expect(await readAhead(dir)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // fstat says 0 bytes for procfs files (/proc/kallsyms) and pipes (`--symbols <(...)`).
  it("reads a procfs file to its end", async () => {
    const bytes = await readAhead("/proc/self/maps");
    expect(bytes?.toString()).toMatch(/^[0-9a-f]+-[0-9a-f]+ /);
  });

  it("reads a pipe to its end", async () => {
    const dir = mkdtempSync(join(tmpdir(), "klp-ahead-"));
    try {
      const fifo = join(dir, "fifo");
      expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
      const big = Buffer.alloc(1 << 20, "kallsyms line\n");
      const writer = spawn("sh", ["-c", 'cat >"$0"', fifo], { stdio: ["pipe", "ignore", "ignore"] });
      writer.stdin.end(big);
      expect((await readAhead(fifo))?.equals(big)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
