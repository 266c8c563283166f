// Driver for the parse stage: a real kernel source file is split into
// top-level items (golden items.json), and a preprocessed excerpt is indexed
// (golden decls.json). The .i index reads declarations with skim.ts and only
// falls back to tree-sitter: both readings must agree on every chunk.
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { OutlineStore, PpDecl, PreprocessedTu, SourceFile, SourceOutline, SyntaxNode } from "../src/model/syntax.js";
import { parseSourceFile } from "../src/parse/source-file.js";
import { parsePreprocessed, PreprocessedTuBuilder, snapshotOf } from "../src/parse/preprocessed-tu.js";
import { decodeSnapshot, encodeSnapshot } from "../src/parse/scan-snapshot.js";
import { FIXTURES, cases, expectGolden, json, read, readInputC, readKernelSource } from "./golden.js";
import { outsideConditionals } from "../src/parse/conditional-depth.js";

/** The bundled example's real preprocessed TU (3.7 MB, 11000 top-level pieces). */
const MEMINFO_I = resolve(import.meta.dirname, "../examples/meminfo/build/fs/proc/meminfo.i");
/**
 * Its first third (cut before a line marker) unless KLP_PARSE_FULL=1: the
 * tree-sitter reference reading of the whole file takes ~5 s.
 */
function meminfoText(): string {
  const text = readFileSync(MEMINFO_I, "utf8");
  return process.env.KLP_PARSE_FULL === "1" ? text : text.slice(0, text.indexOf('\n# ', text.length / 3) + 1);
}

const facts = (d: PpDecl) => [d.name, d.namespace, d.kind, d.storage, d.inline, d.file, d.line, d.start, d.end, d.nameStart].join(" ");
const everything = (tu: PreprocessedTu) => [...tu.decls.all()].map(([n, ds]) => `${n}: ${ds.map(facts).join(" | ")}`);

describe("parse", () => {
  for (const name of cases("parse")) {
    it(name, () => {
      const dir = join(FIXTURES, "parse", name);
      if (existsSync(join(dir, "input.c")) || existsSync(join(dir, "source.txt"))) {
        const sf = parseSourceFile("input.c", readInputC("parse", name));
        // `last`: an item's final character (a file-scope struct must keep its `;`).
        const items = sf.items.map((i) => ({ kind: i.kind, name: i.name ?? i.includePath ?? null, lines: `${i.startLine}-${i.endLine}`, last: sf.text.slice(i.end - 1, i.end), hasError: i.hasError }));
        expectGolden(join(dir, "items.json"), json(items));
      }
      if (existsSync(join(dir, "input.i"))) {
        const tu = parsePreprocessed(read("parse", name, "input.i"));
        const decls = [...tu.decls.all().entries()].sort(([a], [b]) => a.localeCompare(b)).map(([n, ds]) => ({
          name: n,
          decls: ds.map((d) => `${d.kind}/${d.storage}${d.inline ? "/inline" : ""}@${d.file}:${d.line}`),
        }));
        const macros = [...tu.macros.all().entries()].sort(([a], [b]) => a.localeCompare(b)).map(([n, ms]) => `${n}@${ms.map((m) => `${m.file}:${m.line}`).join(",")}`);
        const includes = [...tu.includeTree.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} -> ${[...v].sort().join(" ")}`);
        expectGolden(join(dir, "decls.json"), json({ errorCount: tu.countErrors(), decls, macros, includes }));
      }
    });
  }
});

describe("parse: the lazy .i index", () => {
  const inputs = [...cases("parse").filter((c) => existsSync(join(FIXTURES, "parse", c, "input.i"))).map((c) => join(FIXTURES, "parse", c, "input.i")), MEMINFO_I];
  for (const file of inputs) {
    const label = file.replace(/^.*\/(?:parse\/)?/, "");
    it(`skim.ts reads every chunk as tree-sitter does: ${label}`, () => {
      const text = file === MEMINFO_I ? meminfoText() : readFileSync(file, "utf8");
      const skimmed = parsePreprocessed(text);
      const parsed = parsePreprocessed(text, { skim: false });
      expect(everything(skimmed)).toEqual(everything(parsed));
      // Lookups go through the candidate index of the scan: it must not miss a chunk.
      const looked = parsePreprocessed(text);
      for (const [name, ds] of parsed.decls.all()) expect(looked.decls.get(name)?.map(facts), name).toEqual(ds.map(facts));
      expect(looked.decls.get("no_such_name_anywhere")).toBeUndefined();
      // A declaration's node is the chunk's tree-sitter node, with offsets of the whole .i.
      for (const ds of [...looked.decls.all().values()].slice(0, 200)) for (const d of ds) expect([d.node.startIndex, d.node.endIndex]).toEqual([d.start, d.end]);
      expect(skimmed.stats.parsed).toBeLessThan(skimmed.stats.chunks / 100 + 2);
    });
  }

  it("inFiles() lists a file's declarations in the order of the whole index", () => {
    const tu = parsePreprocessed(readFileSync(MEMINFO_I, "utf8"));
    const main = (f: string) => f.endsWith("fs/proc/meminfo.c") || f.endsWith("fs/proc/internal.h");
    const expected = [...parsePreprocessed(readFileSync(MEMINFO_I, "utf8")).decls.all()].map(([n, ds]) => [n, ds.filter((d) => main(d.file)).map(facts)] as const).filter(([, ds]) => ds.length);
    expect([...tu.decls.inFiles(main)].map(([n, ds]) => [n, ds.map(facts)])).toEqual(expected);
  });

  it("gives the same index when the text comes in pieces", () => {
    const text = meminfoText();
    const whole = parsePreprocessed(text);
    for (const size of [1, 997, 65537]) {
      const b = new PreprocessedTuBuilder();
      const cut = size === 1 ? [0, 1, 2, 7, 500, 501, 1000, 65536] : undefined;
      if (cut) {
        for (let i = 0; i < cut.length; i++) b.push(text.slice(cut[i], cut[i + 1] ?? text.length));
      } else for (let i = 0; i < text.length; i += size) b.push(text.slice(i, i + size));
      const pieces = b.finish();
      expect(pieces.text).toBe(text);
      expect(everything(pieces)).toEqual(everything(whole));
      expect([...pieces.macros.all()]).toEqual([...whole.macros.all()]);
      expect([...pieces.includeTree].map(([k, v]) => [k, [...v]])).toEqual([...whole.includeTree].map(([k, v]) => [k, [...v]]));
      expect(pieces.files).toEqual(whole.files);
    }
  });
});

describe("parse: the patched file parsed against its original (only the changed part)", () => {
  // Every node of every item, with offsets and positions, and the item's text: what the later stages read.
  const dump = (n: SyntaxNode): string => `${n.type}@${n.startIndex}-${n.endIndex}/${n.startPosition.row}:${n.startPosition.column}(${n.children.map(dump).join(" ")})`;
  const shape = (sf: SourceFile, deep = true) => sf.items.map((i) => ({ ...i, node: i.node && `${deep ? dump(i.node) : i.node.endPosition.row} ${i.node.text}` }));

  /** Applies [search, replacement] pairs in order (each must occur). */
  const edited = (text: string, ...edits: Array<[string | RegExp, string]>) =>
    edits.reduce((t, [from, to]) => {
      expect(typeof from === "string" ? t.includes(from) : from.test(t), String(from)).toBe(true);
      return t.replace(from, to);
    }, text);

  // kernel/sys.c has a non-ASCII line (898, "Samma på svenska"): edits after it check that
  // the edit's offsets are counted as tree-sitter's node binding counts them (UTF-16).
  const sys = readKernelSource("kernel/sys.c");
  const emoji = sys.replace("#include <linux/export.h>", "#include <linux/export.h> /* \u{1F600} */");
  const variants: Array<[string, string, string]> = [
    ["a line in the middle", sys, edited(sys, ["\tmask = xchg(&current->fs->umask, mask & S_IRWXUGO);", "\tif (mask < 0)\n\t\treturn -EINVAL;\n\tmask = xchg(&current->fs->umask, mask & S_IRWXUGO);"])],
    ["a line at the start", sys, `#include <linux/klp.h>\n${sys}`],
    ["a function at the end", sys, `${sys}\nstatic int klp_added(int x)\n{\n\treturn x + 1;\n}\n`],
    ["the last character", sys, sys.slice(0, -1)],
    ["several hunks far apart (parse errors between them: the whole file is parsed)", sys, edited(sys,
      ["SYSCALL_DEFINE2(getpriority, int, which, int, who)\n{", "SYSCALL_DEFINE2(getpriority, int, which, int, who)\n{\n\tint klp_unused = 0;"],
      ["\tmask = xchg(&current->fs->umask, mask & S_IRWXUGO);", "\tmask = xchg(&current->fs->umask, mask & 0777);"],
      [/static int prctl_set_mm\(int opt, unsigned long addr,/, "static noinline int prctl_set_mm(int opt, unsigned long addr,"])],
    ["a function's closing brace removed (errors)", sys, edited(sys, ["\treturn mask;\n}\n", "\treturn mask;\n"])],
    ["no change", sys, sys],
    ["one half of a surrogate pair", emoji, emoji.replace("\u{1F600}", "\u{1F601}")],
    ["a file that needs the error-recovery parses", readInputC("parse", "error-recovery-c"), edited(readInputC("parse", "error-recovery-c"), ["N(UP) N(DOWN)", "N(UP) N(DOWN) N(KLP)"])],
    // Where the changed part is widened to: comments travel with the item below them.
    ["a kernel-doc comment's text", sys, edited(sys, [" * Note, despite the name, this returns the tgid", " * Note: despite the name, this returns the tgid"])],
    ["the blank line between a comment and a function removed", sys, edited(sys, ["#endif /* CONFIG_MULTIUSER */\n\n/**\n * sys_getpid", "#endif /* CONFIG_MULTIUSER */\n/**\n * sys_getpid"])],
    ["a comment put right above a function", sys, edited(sys, ["\nSYSCALL_DEFINE1(getsid, pid_t, pid)", "\n/* klp: the session id */\nSYSCALL_DEFINE1(getsid, pid_t, pid)"])],
    ["a blank line put between a comment and its function", sys, edited(sys, [" * This is SMP safe as current->tgid does not change.\n */\n", " * This is SMP safe as current->tgid does not change.\n */\n\n"])],
    ["only whitespace between two functions", sys, edited(sys, ["#endif\n\nSYSCALL_DEFINE1(getsid", "#endif\n\n\n\nSYSCALL_DEFINE1(getsid"])],
    ["a struct's closing `};` (in an #ifdef block with parse errors: the whole file is parsed)", sys, edited(sys, ["\tchar _f[20-2*sizeof(u32)-sizeof(int)];\n};", "\tchar _f[20-2*sizeof(u32)-sizeof(int)];\n}\n;"])],
    ["inside an #ifdef block", sys, edited(sys, ["SYSCALL_DEFINE0(getpgrp)\n{\n\treturn do_getpgid(0);", "SYSCALL_DEFINE0(getpgrp)\n{\n\treturn do_getpgid(0) + 0;"])],
    ["an #ifdef without its #endif (errors)", sys, edited(sys, ["#endif\n\nSYSCALL_DEFINE1(getsid", "\nSYSCALL_DEFINE1(getsid"])],
    ["a function split in two", sys, edited(sys, ["\treturn do_getpgid(0);\n}", "\treturn do_getpgid(0);\n}\n\nstatic int klp_between(void)\n{\n\treturn 0;\n}"])],
  ];
  for (const [what, before, after] of variants) {
    it(`gives the items of a full parse: ${what}`, () => {
      const original = parseSourceFile("kernel/sys.c", before);
      const originalShape = shape(original, false);
      const spliced = parseSourceFile("kernel/sys.c", after, { after: original });
      expect(shape(spliced)).toEqual(shape(parseSourceFile("kernel/sys.c", after)));
      // The original is not changed: its items still read the original text.
      expect(shape(original, false)).toEqual(originalShape);
    });
    it(`gives the items of a full parse from an original read back from its outline: ${what}`, () => {
      const store = memoryStore();
      parseSourceFile("kernel/sys.c", before, { outlines: store });
      const original = parseSourceFile("kernel/sys.c", before, { outlines: store });
      expect(store.hits).toBe(what.includes("error-recovery") ? 0 : 1);
      const spliced = parseSourceFile("kernel/sys.c", after, { after: original });
      // Items taken over keep nodes still to be parsed; a whole-file parse (the fallback where parse
      // errors are in what the change reaches) made every node.
      const taken = spliced.items.filter((i) => "get" in (Object.getOwnPropertyDescriptor(i, "node") ?? {}));
      expect(taken.length > 0).toBe(!/error/.test(what));
      expect(shape(spliced)).toEqual(shape(parseSourceFile("kernel/sys.c", after)));
    });
  }
});

describe("parse: the patched file parsed against its original, on random edits", () => {
  // Deterministic: the same edits every run (a linear congruential generator from a fixed seed).
  const shallow = (sf: SourceFile) => sf.items.map((i) => ({ ...i, node: i.node && `${i.node.type}@${i.node.startIndex}-${i.node.endIndex}/${i.node.startPosition.row}:${i.node.startPosition.column}-${i.node.endPosition.row} ${String(i.node.hasError)}` }));
  const edits: Array<(lines: string[], at: number) => void> = [
    (l, at) => l.splice(at, 1),
    (l, at) => l.splice(at, 0, "\tklp_added();"),
    (l, at) => l.splice(at, 0, ""),
    (l, at) => l.splice(at, 0, "/* klp */"),
    (l, at) => (l[at] = `${l[at]} }`),
    (l, at) => (l[at] = l[at]!.replace(/;$/, "")),
  ];
  for (const path of ["kernel/sys.c", "kernel/fork.c"]) {
    it(`gives the items of a full parse: ${path}`, () => {
      const text = readKernelSource(path);
      const original = parseSourceFile(path, text);
      let seed = 20261207;
      const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
      let spliced = 0;
      for (let round = 0; round < 60; round++) {
        const lines = text.split("\n");
        edits[next(edits.length)]!(lines, next(lines.length));
        const after = lines.join("\n");
        const file = parseSourceFile(path, after, { after: original });
        // Items taken over from the original have nodes still to be parsed (accessors).
        if (file.items.some((i) => "get" in (Object.getOwnPropertyDescriptor(i, "node") ?? {}))) spliced++;
        expect(shallow(file), `round ${round}`).toEqual(shallow(parseSourceFile(path, after)));
      }
      // Most edits make errors (and a whole-file parse); enough of them must have been spliced.
      expect(spliced).toBeGreaterThanOrEqual(15);
    });
  }
});

/** An OutlineStore in memory that keeps what a disk store would (JSON), and counts its hits. */
function memoryStore(): OutlineStore & { hits: number } {
  const kept = new Map<string, string>();
  return {
    hits: 0,
    get(text) {
      const hit = kept.get(text);
      if (hit) this.hits++;
      return hit ? (JSON.parse(hit) as SourceOutline) : undefined;
    },
    put(text, outline) {
      kept.set(text, JSON.stringify(outline));
    },
  };
}

describe("parse: a source file read back from its outline", () => {
  const dump = (n: SyntaxNode): string => `${n.type}@${n.startIndex}-${n.endIndex}/${n.startPosition.row}:${n.startPosition.column}(${n.children.map(dump).join(" ")})`;
  const shape = (sf: SourceFile) => sf.items.map((i) => ({ ...i, node: i.node && `${dump(i.node)} ${i.node.text}` }));
  for (const path of ["kernel/sys.c", "kernel/fork.c", "fs/proc/task_mmu.c", "drivers/char/random.c"]) {
    it(`gives the items and nodes of a full parse: ${path}`, () => {
      const text = readKernelSource(path);
      const store = memoryStore();
      const whole = parseSourceFile(path, text, { outlines: store });
      const read = parseSourceFile(path, text, { outlines: store });
      expect(store.hits).toBe(1);
      expect(read).not.toBe(whole);
      expect(shape(read)).toEqual(shape(whole));
    });
  }

  it("parses a node alone when one is asked for, the same node a full parse has", () => {
    const text = readKernelSource("kernel/sys.c");
    const store = memoryStore();
    const whole = parseSourceFile("kernel/sys.c", text, { outlines: store });
    const read = parseSourceFile("kernel/sys.c", text, { outlines: store });
    const at = read.items.findIndex((i) => i.name === "__sys_setfsgid");
    expect(at).toBeGreaterThan(0);
    expect(dump(read.items[at]!.node!)).toBe(dump(whole.items[at]!.node!));
    // Only that item's node was made: the others' are still to be parsed (accessors, not values).
    const parsed = read.items.filter((i) => "value" in (Object.getOwnPropertyDescriptor(i, "node") ?? {}));
    expect(parsed.map((i) => i.name)).toEqual(["__sys_setfsgid"]);
  });

  it("is not read from an outline of another version", () => {
    const text = readKernelSource("fs/proc/cmdline.c");
    const store = memoryStore();
    parseSourceFile("fs/proc/cmdline.c", text, { outlines: store });
    const stale = { get: (t: string) => ({ ...store.get(t)!, version: -1 }), put: () => {} };
    const read = parseSourceFile("fs/proc/cmdline.c", text, { outlines: stale });
    expect(read.items.every((i) => "value" in (Object.getOwnPropertyDescriptor(i, "node") ?? { value: 0 }))).toBe(true);
  });
});

// The header cache keeps the scan of a TU's headers' part and goes on from it with the rest of the .i.
describe("parse: a scan resumed from a kept snapshot", () => {
  it("gives the index of the whole text, at every top-level cut", () => {
    const text = meminfoText();
    const whole = parsePreprocessed(text);
    // Cuts before line markers spread over the text; a cut inside a top-level piece has no snapshot.
    let resumed = 0;
    for (let k = 1; k <= 4; k++) {
      const cut = text.indexOf("\n# ", Math.floor((text.length * k) / 5)) + 1;
      const snap = snapshotOf(text.slice(0, cut));
      if (!snap) continue;
      const kept = decodeSnapshot(encodeSnapshot(snap))!;
      expect(kept).toEqual(snap);
      // A kept scan whose numbers point outside its text, or whose name index has no empty slot, is not taken.
      expect(decodeSnapshot(encodeSnapshot({ ...snap, chunks: { ...snap.chunks, ends: [...snap.chunks.ends.slice(0, -1), snap.length + 1] } }))).toBeUndefined();
      expect(decodeSnapshot(encodeSnapshot({ ...snap, candidates: { ...snap.candidates, slots: new Int32Array(snap.candidates.slots.length).fill(0) } }))).toBeUndefined();
      expect(decodeSnapshot(encodeSnapshot(snap).subarray(0, 1000))).toBeUndefined();
      const b = PreprocessedTuBuilder.resume(kept, text.slice(0, cut));
      for (let i = cut; i < text.length; i += 65537) b.push(text.slice(i, i + 65537));
      const tu = b.finish();
      expect(tu.text).toBe(text);
      expect(everything(tu)).toEqual(everything(whole));
      expect([...tu.macros.all()]).toEqual([...whole.macros.all()]);
      expect([...tu.includeTree].map(([k2, v]) => [k2, [...v]])).toEqual([...whole.includeTree].map(([k2, v]) => [k2, [...v]]));
      resumed++;
    }
    expect(resumed).toBeGreaterThan(2);
  });

  it("has no snapshot inside a top-level piece", () => {
    const text = readFileSync(MEMINFO_I, "utf8");
    const fn = text.indexOf("static int meminfo_proc_show(");
    const inside = text.indexOf("\n", text.indexOf("{", fn)) + 1;
    expect(snapshotOf(text.slice(0, inside))).toBeUndefined();
  });
});

describe("parse: lines outside every #if", () => {
  const text = ["int a;", "#ifdef X", "int b;", "/*", "#endif", "*/", "#if Y /* x */", "#endif", "#endif", "int c;", "  # ifndef Z", "int d;"].join("\n");
  it("counts #if/#ifdef/#ifndef against #endif, skipping block comments", () => {
    expect([1, 3, 6, 8, 10, 12].map((line) => outsideConditionals(text, line))).toEqual([true, false, false, false, true, false]);
  });
});
