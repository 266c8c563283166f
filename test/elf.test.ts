// Tests of `klp-ccp fixup` and the ELF64 reader/writer behind it
// (test/fixtures/elf/README.md says where each fixture comes from). The
// klp-rela-* cases are real kbuild modules; their expected.ko is the output of
// the harness's klp-relocs.py, which ours must equal byte for byte. Other
// malformed inputs are made here by patching a copy of a fixture.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../src/cli/main.js";
import { DiagnosticSink, StageFailed } from "../src/diagnostics/diagnostic.js";
import { SHF_ALLOC, SHN_LIVEPATCH, SHT_RELA } from "../src/elf/format.js";
import { analyseModule, fixupModule, type KlpModule } from "../src/elf/klp-relocs.js";
import { readElf, readRelas, type ElfFile } from "../src/elf/read.js";
import { objectSymbols } from "../src/elf/object-symbols.js";
import { locateInModuleObject } from "../src/resolve/locate.js";
import { FIXTURES, expectGolden } from "./golden.js";

const DIR = join(FIXTURES, "elf");
const fixture = (...p: string[]) => readFileSync(join(DIR, ...p));

/** Relocation entries per SHT_RELA section, before and after fixup (only the sections that change). */
const CASES: Record<string, { before: Record<string, number>; after: Record<string, number> }> = {
  "klp-rela-cmdline": { before: { ".rela.text": 12 }, after: { ".rela.text": 11, ".klp.rela.vmlinux.text": 1 } },
  "klp-rela-filesystems": { before: { ".rela.text": 25 }, after: { ".rela.text": 21, ".klp.rela.vmlinux.text": 4 } },
  "klp-rela-multi": {
    before: { ".rela.text": 13, ".rela.data": 7 },
    after: { ".rela.text": 11, ".rela.data": 5, ".klp.rela.ext4.text": 1, ".klp.rela.vmlinux.text": 1, ".klp.rela.ext4.data": 1, ".klp.rela.vmlinux.data": 1 },
  },
};

function parse(buf: Buffer): KlpModule {
  const sink = new DiagnosticSink();
  return analyseModule(buf, readElf(buf, "x.ko", sink), sink);
}

function relaCounts(buf: Buffer): Record<string, number> {
  const elf = parse(buf).elf;
  return Object.fromEntries(elf.sections.filter((s) => s.type === SHT_RELA).map((s) => [s.name, s.size / 24]));
}

/** A copy of `buf` with the st_shndx of each .klp.sym symbol set to `shndx`. */
function withKlpShndx(buf: Buffer, shndx: number): Buffer {
  const out = Buffer.from(buf);
  const mod = parse(buf);
  for (const s of mod.symbols.values()) out.writeUInt16LE(shndx, mod.elf.symbols[s.index]!.fileOffset + 6);
  return out;
}

/** A copy of `buf` with one field of section `name`'s header changed. */
function withHeader(buf: Buffer, name: string, at: number, write: (b: Buffer, o: number) => void): Buffer {
  const out = Buffer.from(buf);
  const shoff = Number(buf.readBigUInt64LE(40));
  const s = parse(buf).elf.sections.find((x) => x.name === name)!;
  write(out, shoff + s.index * 64 + at);
  return out;
}

describe("fixup", () => {
  let scratch: string;
  let stdout: string;
  let stderr: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), "klp-ccp-elf-"));
    stdout = stderr = "";
    vi.spyOn(process.stdout, "write").mockImplementation((s) => ((stdout += String(s)), true));
    vi.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += String(s)), true));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Runs the CLI; checks the exit code, the diagnostic codes and that no stack trace or temp file shows. */
  async function run(args: string[], exit: number, codes: string[] = []): Promise<void> {
    stdout = stderr = "";
    const code = await main(args);
    const seen = [...new Set([...stderr.matchAll(/\b(KLP-[EW]\d{3})\b/g)].map((m) => m[1]))].sort();
    expect({ code, codes: seen, stderr }).toMatchObject({ code: exit, codes: [...codes].sort() });
    expect(stderr).not.toMatch(/internal error|\n\s+at /);
    expect(readdirSync(scratch).filter((f) => f.includes("klp-ccp-tmp"))).toEqual([]);
  }

  function scratchCopy(buf: Buffer, name = "module.ko"): string {
    const p = join(scratch, name);
    writeFileSync(p, buf);
    return p;
  }

  for (const [name, counts] of Object.entries(CASES)) {
    describe(name, () => {
      const input = fixture(name, "input.ko");
      const expected = fixture(name, "expected.ko");

      it("is a small fixture", () => {
        expect(input.length).toBeLessThan(100 * 1024);
        expect(expected.length).toBeLessThan(100 * 1024);
      });

      it("--check lists the module before and after", async () => {
        await run(["fixup", "--check", scratchCopy(input)], 0);
        expectGolden(join(DIR, name, "expected-before.txt"), stdout);
        await run(["fixup", "--check", scratchCopy(expected)], 0);
        expectGolden(join(DIR, name, "expected-after.txt"), stdout);
      });

      it("rewrites in place exactly as klp-relocs.py does", async () => {
        const ko = scratchCopy(input);
        chmodSync(ko, 0o640);
        await run(["fixup", "--symvers", join(DIR, "Module.symvers"), ko], 0);
        expect(readFileSync(ko).equals(expected)).toBe(true);
        expect(statSync(ko).mode & 0o777).toBe(0o640);
        expect(stdout).toMatch(/livepatch symbols? marked/);
        expect(stdout).toMatch(/all exported/);
      });

      it("writes to -o and leaves the input alone", async () => {
        const ko = scratchCopy(input);
        const out = join(scratch, "out.ko");
        await run(["fixup", "-o", out, ko], 0);
        expect(readFileSync(out).equals(expected)).toBe(true);
        expect(readFileSync(ko).equals(input)).toBe(true);
      });

      it("is idempotent", async () => {
        const ko = scratchCopy(expected);
        await run(["fixup", ko], 0);
        expect(stdout).toMatch(/already in the livepatch ELF format, nothing changed/);
        expect(readFileSync(ko).equals(expected)).toBe(true);
      });

      it("moves the relocations and marks the symbols, touching nothing else", () => {
        const sink = new DiagnosticSink();
        const before = parse(input);
        const output = fixupModule(input, before, sink).output!;
        const after = parse(output);
        const inElf = before.elf;
        const outElf = after.elf;
        const symtab = outElf.symtab.index;

        // Counts: only the split sections change, the moved entries reappear in .klp.rela.*.
        const c0 = relaCounts(input);
        const c1 = relaCounts(output);
        expect(Object.fromEntries(Object.keys(counts.before).map((k) => [k, c0[k]]))).toEqual(counts.before);
        expect(Object.fromEntries(Object.keys(counts.after).map((k) => [k, c1[k]]))).toEqual(counts.after);
        for (const k of Object.keys(c0)) if (!(k in counts.before)) expect([k, c1[k]]).toEqual([k, c0[k]]);
        expect(Object.keys(c1).filter((k) => !(k in c0)).sort()).toEqual(Object.keys(counts.after).filter((k) => k.startsWith(".klp.rela.")).sort());

        // Symbols: same indices, names and bindings; .klp.sym ones now SHN_LIVEPATCH.
        expect(outElf.symbols.map((s) => [s.index, s.name, s.info])).toEqual(inElf.symbols.map((s) => [s.index, s.name, s.info]));
        expect(after.symbols.size).toBeGreaterThan(0);
        for (const s of outElf.symbols) {
          const klp = s.name.startsWith(".klp.sym.");
          expect([s.name, s.shndx]).toEqual([s.name, klp ? SHN_LIVEPATCH : inElf.symbols[s.index]!.shndx]);
        }

        // The new sections: header fields, and only livepatch symbols of their object.
        const added = outElf.sections.slice(inElf.sections.length);
        expect(added.length).toBeGreaterThan(0);
        for (const s of added) {
          const [, object, target] = /^\.klp\.rela\.([^.]+)\.(.+)$/.exec(s.name)!;
          expect({ type: s.type, flags: s.flags, link: s.link, target: outElf.sections[s.info]!.name, entsize: s.entsize, addralign: s.addralign })
            .toEqual({ type: SHT_RELA, flags: 0x100042n, link: symtab, target: `.${target}`, entsize: 24, addralign: 8 });
          for (const e of readRelas(output, outElf, s, sink)) expect(after.symbols.get(e.sym)?.object).toBe(object);
        }
        for (const r of after.relaSections) if (!r.livepatch && r.loaded) expect([r.section.name, r.klp.length]).toEqual([r.section.name, 0]);

        // The split sections keep their other entries, in order; the freed tail is zero.
        for (const r of before.relaSections.filter((x) => x.klp.length)) {
          const kept = Buffer.concat(r.relas.filter((e) => !before.symbols.has(e.sym)).map((e) => input.subarray(e.fileOffset, e.fileOffset + 24)));
          const at = r.section.offset;
          expect(output.subarray(at, at + kept.length).equals(kept)).toBe(true);
          expect(output.subarray(at + kept.length, at + r.section.size).every((b) => b === 0)).toBe(true);
        }

        // Old headers: unchanged but for the split sections' sizes and the new .shstrtab.
        const split = new Set(before.relaSections.filter((x) => x.klp.length).map((x) => x.section.index));
        inElf.sections.forEach((s, i) => {
          const o = outElf.sections[i]!;
          if (i === inElf.shstrndx) expect(o.offset).toBeGreaterThanOrEqual(input.length);
          const same = { ...o, offset: i === inElf.shstrndx ? s.offset : o.offset, size: split.has(i) || i === inElf.shstrndx ? s.size : o.size };
          expect(same).toEqual(s);
        });

        // Bytes: the old file is a prefix, changed only in the .klp.sym st_shndx
        // fields, the split sections and e_shoff/e_shnum.
        const allowed = (at: number) =>
          (at >= 40 && at < 48) || (at >= 60 && at < 62) ||
          [...before.symbols.keys()].some((i) => at - inElf.symbols[i]!.fileOffset === 6 || at - inElf.symbols[i]!.fileOffset === 7) ||
          [...split].some((i) => at >= inElf.sections[i]!.offset && at < inElf.sections[i]!.offset + inElf.sections[i]!.size);
        const changed: number[] = [];
        for (let i = 0; i < input.length; i++) if (input[i] !== output[i] && !allowed(i)) changed.push(i);
        expect(changed).toEqual([]);
        expect(output.equals(expected)).toBe(true);
      });

      it("finishes a half-done rewrite: relocations moved but symbols still SHN_UNDEF", async () => {
        const ko = scratchCopy(withKlpShndx(expected, 0));
        await run(["fixup", ko], 0);
        expect(readFileSync(ko).equals(expected)).toBe(true);
      });

      it("finishes a half-done rewrite: symbols marked but relocations not moved", async () => {
        const ko = scratchCopy(withKlpShndx(input, SHN_LIVEPATCH));
        await run(["fixup", ko], 0);
        expect(readFileSync(ko).equals(expected)).toBe(true);
      });
    });
  }

  describe("refuses bad input", () => {
    for (const name of readdirSync(DIR).filter((d) => d.startsWith("error-")).sort()) {
      it(name, async () => {
        const spec = JSON.parse(readFileSync(join(DIR, name, "args.json"), "utf8")) as { args: string[]; exit: number; codes: string[] };
        const input = fixture(name, "input.ko");
        const ko = scratchCopy(input, "input.ko");
        await run(spec.args.map((a) => a.replace("$FIXTURE", scratch)), spec.exit, spec.codes);
        expectGolden(join(DIR, name, "expected-stderr.txt"), stderr.replaceAll(scratch, "$FIXTURE"));
        expect(readFileSync(ko).equals(input)).toBe(true);
        expect(stdout).toBe("");
      });
    }

    const cmdline = () => fixture("klp-rela-cmdline", "input.ko");
    const fixed = () => fixture("klp-rela-cmdline", "expected.ko");
    const patched = (at: number, bytes: number[]) => {
      const b = cmdline();
      Buffer.from(bytes).copy(b, at);
      return b;
    };
    const refusals: [string, () => Buffer, number, string][] = [
      ["a malformed .klp.sym name, without --check", () => fixture("error-malformed-name", "input.ko"), 1, "KLP-E033"],
      ["an empty file", () => Buffer.alloc(0), 2, "KLP-E030"],
      ["a file cut inside the ELF header", () => cmdline().subarray(0, 40), 2, "KLP-E031"],
      ["a file cut inside a section", () => cmdline().subarray(0, 2000), 2, "KLP-E031"],
      ["ELF32", () => patched(4, [1]), 2, "KLP-E030"],
      ["big-endian", () => patched(5, [2]), 2, "KLP-E030"],
      ["ET_EXEC", () => patched(16, [2, 0]), 2, "KLP-E030"],
      ["another machine", () => patched(18, [183, 0]), 2, "KLP-E030"],
      ["no section header table", () => patched(60, [0, 0]), 2, "KLP-E030"],
      ["a bad e_shentsize", () => patched(58, [40, 0]), 2, "KLP-E031"],
      ["no .symtab", () => withHeader(cmdline(), ".symtab", 4, (b, o) => b.writeUInt32LE(1, o)), 2, "KLP-E032"],
      ["a relocation naming no symbol", () => {
        const b = cmdline();
        const rela = parse(b).relaSections.find((r) => r.section.name === ".rela.text")!;
        b.writeUInt32LE(100000, rela.relas[0]!.fileOffset + 12);
        return b;
      }, 2, "KLP-E031"],
      ["a defined .klp.sym symbol", () => withKlpShndx(cmdline(), 3), 1, "KLP-E034"],
      ["a .klp.rela section without SHF_RELA_LIVEPATCH", () => withHeader(fixed(), ".klp.rela.vmlinux.text", 8, (b, o) => b.writeBigUInt64LE(0x42n, o)), 1, "KLP-E035"],
      ["a .klp.rela section without SHF_ALLOC", () => withHeader(fixed(), ".klp.rela.vmlinux.text", 8, (b, o) => b.writeBigUInt64LE(0x100040n, o)), 1, "KLP-E035"],
      ["a .klp.rela section with an ordinary symbol", () => {
        const b = fixed();
        const r = parse(b).relaSections.find((x) => x.livepatch)!;
        b.writeUInt32LE(1, r.relas[0]!.fileOffset + 12);
        return b;
      }, 1, "KLP-E035"],
      ["a half-rewritten module whose new section exists already", () => {
        // The rewritten module with the moved entry put back into .rela.text.
        const b = fixed();
        const mod = parse(b);
        const text = mod.relaSections.find((x) => x.section.name === ".rela.text")!;
        const klp = mod.relaSections.find((x) => x.livepatch)!;
        b.copy(b, text.section.offset + text.section.size, klp.relas[0]!.fileOffset, klp.relas[0]!.fileOffset + 24);
        return withHeader(b, ".rela.text", 32, (x, o) => x.writeBigUInt64LE(BigInt(text.section.size + 24), o));
      }, 1, "KLP-E035"],
    ];
    for (const [what, make, exit, code] of refusals) {
      it(what, async () => {
        const buf = make();
        const ko = scratchCopy(buf);
        await run(["fixup", ko], exit, [code]);
        expect(stderr).toContain(`${ko}: error ${code}: `);
        expect(readFileSync(ko).equals(buf)).toBe(true);
        expect(readdirSync(scratch)).toEqual(["module.ko"]);
      });
    }

    it("a missing module", async () => {
      await run(["fixup", join(scratch, "nope.ko")], 2, ["KLP-E004"]);
    });

    it("--check with -o", async () => {
      await run(["fixup", "--check", "-o", join(scratch, "out.ko"), scratchCopy(cmdline())], 2, ["KLP-E019"]);
      expect(stderr).toMatch(/cannot be used with/);
    });

    it("an output that cannot be written", async () => {
      await run(["fixup", "-o", join(scratch, "no-dir", "out.ko"), scratchCopy(cmdline())], 2, ["KLP-E037"]);
    });

    it("undefined symbols missing from Module.symvers, and writes nothing", async () => {
      const symvers = join(scratch, "Module.symvers");
      writeFileSync(symvers, fixture("Module.symvers").toString("utf8").split("\n").filter((l) => !/\tseq_putc\t/.test(l)).join("\n"));
      const ko = scratchCopy(cmdline());
      await run(["fixup", "--symvers", symvers, ko], 1, ["KLP-E036"]);
      expect(stderr).toContain("seq_putc");
      expect(readFileSync(ko).equals(cmdline())).toBe(true);
    });

    it("a malformed Module.symvers", async () => {
      const symvers = scratchCopy(Buffer.from("not a symvers line\n"), "Module.symvers");
      await run(["fixup", "--symvers", symvers, scratchCopy(cmdline())], 2, ["KLP-E008"]);
    });
  });

  describe("leaves alone", () => {
    it("a module without .klp.sym symbols", async () => {
      const b = fixture("klp-rela-cmdline", "input.ko");
      b.write(".klp.syx.", b.indexOf(".klp.sym."), "latin1");
      const ko = scratchCopy(b);
      await run(["fixup", ko], 0);
      expect(stdout).toMatch(/no \.klp\.sym symbols, nothing changed/);
      expect(readFileSync(ko).equals(b)).toBe(true);
      const out = join(scratch, "out.ko");
      await run(["fixup", "-o", out, ko], 0);
      expect(readFileSync(out).equals(b)).toBe(true);
    });

    it("relocations of a section the loader does not load (not SHF_ALLOC)", () => {
      const b = withHeader(fixture("klp-rela-cmdline", "input.ko"), ".text", 8, (x, o) => x.writeBigUInt64LE(x.readBigUInt64LE(o) & ~SHF_ALLOC, o));
      const result = fixupModule(b, parse(b), new DiagnosticSink());
      expect(result.moved).toEqual([]);
      expect(result.marked.map((s) => s.name)).toEqual([".klp.sym.vmlinux.saved_command_line,0"]);
      expect(result.output!.length).toBe(b.length);
      expect(relaCounts(result.output!)).toEqual(relaCounts(b));
    });
  });

  it("never throws anything but StageFailed on damaged input", () => {
    // Deterministic: every 7th truncation and 400 single-byte corruptions of each input.
    let seed = 42;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    for (const name of Object.keys(CASES)) {
      for (const good of [fixture(name, "input.ko"), fixture(name, "expected.ko")]) {
        const damaged: Buffer[] = [];
        for (let n = 0; n < good.length; n += 7) damaged.push(good.subarray(0, n));
        for (let k = 0; k < 400; k++) {
          const b = Buffer.from(good);
          b[rnd(b.length)] = rnd(256);
          damaged.push(b);
        }
        for (const b of damaged) {
          const sink = new DiagnosticSink();
          try {
            const mod = analyseModule(b, readElf(b, "x.ko", sink), sink);
            const out = fixupModule(b, mod, sink).output;
            if (out) readElf(out, "out.ko", sink) satisfies ElfFile;
          } catch (e) {
            if (!(e instanceof StageFailed)) throw e;
            expect(sink.hasErrors).toBe(true);
          }
        }
      }
    }
  });
});

describe("elf: a module's own symbols (target module missing from the symbol table)", () => {
  it("reads dummy.ko's defined symbols and locates names in them", () => {
    const dir = join(FIXTURES, "elf", "module-symbols");
    const file = join(dir, "dummy.ko");
    const symbols = objectSymbols(file, "dummy")!;
    const mod = { file: "dummy.ko", symbols, wholeModule: true };
    const answer = (name: string) => {
      const l = locateInModuleObject(mod, "dummy", name);
      return l.found ? { found: true, type: l.symbol.type, sympos: l.sympos } : { found: false, why: l.why };
    };
    expectGolden(join(dir, "symbols.json"), `${JSON.stringify({
      symbols: symbols.map((s) => `${s.type} ${s.name}`),
      dummy_get_stats64: answer("dummy_get_stats64"),
      numdummies: answer("numdummies"),
      folded_away: answer("default_compressor"),
    }, null, 2)}\n`);
    expect(objectSymbols(join(dir, "no-such.ko"), "dummy")).toBeUndefined();
    expect(objectSymbols(join(dir, "README.md"), "dummy")).toBeUndefined();
  });
});
