// Driver for the closure stage's IPA analysis: each test/fixtures/ipa/<case>
// holds real excerpts (gcc's dump of the TU, the kallsyms lines of the names
// involved, the TU's call graph, maybe its compiled object.o) and the changed functions; expected.json is
// the replacement targets with their reason chains.
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DiagnosticSink } from "../src/diagnostics/diagnostic.js";
import { readIpaClones } from "../src/input/ipa-clones.js";
import { readSymbolTable } from "../src/input/kallsyms.js";
import { findIpaTargets, baseName } from "../src/closure/ipa-targets.js";
import { ipaTree } from "../src/closure/ipa-tree.js";
import { objectCallers } from "../src/elf/callers.js";
import { locateTuSymbol, type Location } from "../src/resolve/locate.js";
import { tuFixture } from "./tu-fixture.js";
import { FIXTURES, cases, expectGolden, json, read } from "./golden.js";

describe("closure: IPA targets", () => {
  for (const name of cases("ipa")) {
    it(name, () => {
      const sink = new DiagnosticSink();
      const records = readIpaClones("dump.txt", read("ipa", name, "dump.txt"), sink);
      const table = readSymbolTable("kallsyms.txt", read("ipa", name, "kallsyms.txt"), new DiagnosticSink());
      const callers = JSON.parse(read("ipa", name, "callers.json")) as Record<string, string[]>;
      const locate = (n: string): Location => {
        const all = table.byName.get(n) ?? [];
        if (all.length === 0) return { found: false, why: "absent", ambiguous: false };
        return { found: true, symbol: all[0]!, sympos: all.length > 1 ? 1 : 0, how: "fixture" };
      };
      const changed = JSON.parse(read("ipa", name, "changed.json")) as string[];
      // A case with the TU's compiled object adds the callers its relocations show.
      const object = join(FIXTURES, "ipa", name, "object.o");
      const result = findIpaTargets({ records, locate, callers: (n) => callers[n] ?? [], ...(existsSync(object) ? { objectCallers: objectCallers(object) } : {}) }, changed);
      expectGolden(join(FIXTURES, "ipa", name, "expected.json"), json({ ...result, diagnostics: sink.items }));
      // `klp-ccp ipa-clones` view of the same dump: nodes by (name, order), removals marked.
      expectGolden(join(FIXTURES, "ipa", name, "tree.json"), json(ipaTree(records, changed[0]!)));
    });
  }
  it("objectCallers reads callers from a real object's relocations", () => {
    // Without -ffunction-sections a call within .text has no relocation; with it, every call has one.
    const dir = join(FIXTURES, "ipa", "constprop-relocation");
    const seen = Object.fromEntries(["object.o", "object-ffunction-sections.o"].map((o) => {
      const callers = objectCallers(join(dir, o));
      return [o, Object.fromEntries(["checksum.constprop.0", "guarded.cold", "hot", "missing"].map((s) => [s, callers(s)]))];
    }));
    expectGolden(join(dir, "object-callers.json"), json(seen));
    expect(objectCallers(join(dir, "no-such.o"))("hot")).toEqual([]);
    expect(objectCallers(join(dir, "checksum.c"))("hot")).toEqual([]);
  });
  it("baseName strips stacked clone suffixes", () => {
    const names = ["link_path_walk.part.0.constprop.0", "tcp_fin.cold", "a.isra.0", "plain"].map(baseName);
    expectGolden(join(FIXTURES, "ipa", "basenames.json"), json(names));
  });
});

describe("closure: locating a TU's own symbols", () => {
  const located = (fixture: string, relPath: string, name: string, isStatic: boolean, withoutRemovals = false) => {
    const dir = join(FIXTURES, "locate", fixture);
    const sink = new DiagnosticSink();
    const records = readIpaClones("dump.txt", readFileSync(join(dir, "dump.txt"), "utf8"), sink).filter((r) => !withoutRemovals || r.kind !== "removal");
    const table = readSymbolTable("kallsyms.txt", readFileSync(join(dir, "kallsyms.txt"), "utf8"), sink);
    // A TU with no declarations has no text range to check against.
    const ctx = tuFixture({ relPath, ipa: records, hasIpaDump: true });
    const l = locateTuSymbol(table, ctx, name, isStatic);
    return { ...(l.found ? { found: true, address: l.symbol.address, sympos: l.sympos } : { found: false, why: l.why }), diagnostics: sink.items };
  };

  it("a function gcc removed has no symbol of the TU, even when another file has its name", () => {
    expectGolden(join(FIXTURES, "locate", "namesake-removed", "locate.json"), json({
      removed: located("namesake-removed", "fs/read_write.c", "warn_unsupported", true),
      nearMissNotRemoved: located("namesake-removed", "fs/read_write.c", "warn_unsupported", true, true),
    }));
  });

  it("a static variable whose name several files use is the one next to the TU's other data", () => {
    const dir = join(FIXTURES, "locate", "data-namesake");
    const table = readSymbolTable("kallsyms.txt", readFileSync(join(dir, "kallsyms.txt"), "utf8"), new DiagnosticSink());
    const relPath = "fs/debugfs/inode.c";
    const answer = (own: string[]) => {
      // The TU defines the `own` variables, nothing else.
      const ctx = tuFixture({ relPath, hasIpaDump: true, preprocessed: `# 1 "${relPath}"\n${own.map((n) => `static int ${n};\n`).join("")}` });
      const l = locateTuSymbol(table, ctx, "tokens", true);
      return l.found ? { found: true, address: l.symbol.address, sympos: l.sympos, how: l.how } : { found: false, why: l.why, ambiguous: l.ambiguous };
    };
    const own = JSON.parse(readFileSync(join(dir, "own.json"), "utf8")) as string[];
    expectGolden(join(dir, "locate.json"), json({ debugfs: answer(own), nearMissNoOwnData: answer(["tokens"]) }));
  });

  it("a static function whose name another file uses is placed by the TU's compiled object", () => {
    const dir = join(FIXTURES, "locate", "object-placement");
    const table = readSymbolTable("kallsyms.txt", readFileSync(join(dir, "kallsyms.txt"), "utf8"), new DiagnosticSink());
    const answer = (objectFile?: string) => {
      const ctx = tuFixture({ relPath: "kernel/module/procfs.c", hasIpaDump: true, ...(objectFile ? { objectFile } : {}) });
      const l = locateTuSymbol(table, ctx, "m_show", true);
      return l.found ? { found: true, address: l.symbol.address, sympos: l.sympos, how: l.how } : { found: false, why: l.why, ambiguous: l.ambiguous };
    };
    expectGolden(join(dir, "locate.json"), json({ withObject: answer(join(dir, "procfs.o")), nearMissNoObject: answer() }));
  });

  it("removed inline clones (same name, later order) leave the function's own symbol", () => {
    expectGolden(join(FIXTURES, "locate", "inline-clone-removed", "locate.json"), json(located("inline-clone-removed", "kernel/softirq.c", "__raise_softirq_irqoff", false)));
  });
});
