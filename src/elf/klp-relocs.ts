import { StageFailed, type DiagnosticSink } from "../diagnostics/diagnostic.js";
import {
  RELA_SIZE, SHF_ALLOC, SHF_INFO_LINK, SHF_RELA_LIVEPATCH, SHN_LIVEPATCH, SHN_LORESERVE, SHN_UNDEF, SHT_RELA,
} from "./format.js";
import { KLP_RELA_PREFIX, klpRelaObject, klpSymbols, type KlpSymbol } from "./klp-symbols.js";
import { elfFail, readRelas, type ElfFile, type ElfRela, type ElfSection } from "./read.js";
import { appendSections, type NewSection } from "./write.js";

/** A SHT_RELA section of the module and what its entries refer to. */
export interface RelaSection {
  section: ElfSection;
  /** The section it relocates (sh_info). */
  target: ElfSection;
  relas: ElfRela[];
  /** The entries whose symbol is a .klp.sym symbol. */
  klp: ElfRela[];
  /** A livepatch relocation section (.klp.rela.*), applied by klp_apply_section_relocs(). */
  livepatch: boolean;
  /** The loader applies it: its target is SHF_ALLOC. Others (.debug_*) are left alone. */
  loaded: boolean;
}

/** A module as the livepatch rewrite sees it. */
export interface KlpModule {
  elf: ElfFile;
  /** The .klp.sym symbols, by symbol index. */
  symbols: Map<number, KlpSymbol>;
  relaSections: RelaSection[];
}

/** What fixup changed. */
export interface FixupResult {
  /** The rewritten file; undefined when the module is already in livepatch format. */
  output?: Buffer;
  /** Symbols set from SHN_UNDEF to SHN_LIVEPATCH. */
  marked: KlpSymbol[];
  /** Relocations moved, per new section (index = its section index). */
  moved: { from: ElfSection; name: string; index: number; relas: ElfRela[] }[];
  /** e_shnum of the result. */
  sectionCount: number;
}

const KLP_RELA_FLAGS = SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH;

/**
 * Finds the .klp.sym symbols and the relocation sections, and checks the
 * livepatch relocation sections the module may already have the way the 6.1
 * loader would use them (KLP-E035). Stops (StageFailed) on any error.
 */
export function analyseModule(buf: Buffer, elf: ElfFile, sink: DiagnosticSink): KlpModule {
  const symbols = klpSymbols(elf, sink);
  if (sink.hasErrors) throw new StageFailed("elf");
  const relaSections: RelaSection[] = [];
  for (const section of elf.sections) {
    if (section.type !== SHT_RELA) continue;
    const target = section.info > 0 ? elf.sections[section.info] : undefined;
    if (!target || section.link !== elf.symtab.index) {
      elfFail(sink, "KLP-E031", elf.file, `relocation section ${section.index} (${section.name}) has sh_info ${section.info} and sh_link ${section.link}: no such target section or not .symtab`);
    }
    const relas = readRelas(buf, elf, section, sink);
    const livepatch = section.name.startsWith(KLP_RELA_PREFIX) || (section.flags & SHF_RELA_LIVEPATCH) !== 0n;
    const r: RelaSection = { section, target: target!, relas, klp: relas.filter((e) => symbols.has(e.sym)), livepatch, loaded: (target!.flags & SHF_ALLOC) !== 0n };
    if (livepatch) checkLivepatchSection(elf, r, symbols, sink);
    relaSections.push(r);
  }
  if (sink.hasErrors) throw new StageFailed("elf");
  return { elf, symbols, relaSections };
}

/** The checks of kernel/livepatch/core.c and kernel/module/main.c (6.1) on a .klp.rela section. */
function checkLivepatchSection(elf: ElfFile, r: RelaSection, symbols: Map<number, KlpSymbol>, sink: DiagnosticSink): void {
  const where = { file: elf.file, line: 0, column: 0 };
  const hint = "rebuild the module and run `klp-ccp fixup` on kbuild's output";
  const refuse = (why: string) => sink.report({ code: "KLP-E035", severity: "error", message: `livepatch relocation section ${r.section.index} (${r.section.name}) ${why}`, location: where, hint });
  const object = klpRelaObject(r.section.name);
  if (!object) return refuse("is not named .klp.rela.OBJECT.SECTION (OBJECT at most 55 characters)");
  if ((r.section.flags & (SHF_ALLOC | SHF_RELA_LIVEPATCH)) !== (SHF_ALLOC | SHF_RELA_LIVEPATCH)) return refuse(`has sh_flags 0x${r.section.flags.toString(16)}, lacking SHF_ALLOC or SHF_RELA_LIVEPATCH`);
  if (!r.loaded) return refuse(`relocates section ${r.target.index} (${r.target.name}), which is not SHF_ALLOC: the loader would skip it`);
  for (const e of r.relas) {
    const sym = symbols.get(e.sym);
    if (!sym) return refuse(`refers to symbol ${e.sym} ${JSON.stringify(elf.symbols[e.sym]!.name)}, which is not a .klp.sym symbol`);
    if (sym.object !== object) return refuse(`refers to ${sym.name}, a symbol of object ${sym.object}, not ${object}`);
  }
}

/** True when fixup would change nothing. */
export function isFixedUp(mod: KlpModule): boolean {
  return [...mod.symbols.values()].every((s) => s.shndx === SHN_LIVEPATCH) && movable(mod).length === 0;
}

/** The relocation sections that still hold livepatch relocations fixup must move. */
function movable(mod: KlpModule): RelaSection[] {
  return mod.relaSections.filter((r) => !r.livepatch && r.loaded && r.klp.length > 0);
}

/**
 * Rewrites the module into the livepatch ELF format of Linux 6.1
 * (Documentation/livepatch/module-elf-format.rst): marks the .klp.sym
 * symbols SHN_LIVEPATCH and moves their relocations out of each `.rela.X`
 * into new `.klp.rela.<object>.X` sections appended at the end. Symbol and
 * section indices never change: livepatch keeps the module's symbol table
 * and relocations name symbols by index. Refuses (KLP-E035) when a new
 * section's name is already taken (a half-rewritten module).
 */
export function fixupModule(buf: Buffer, mod: KlpModule, sink: DiagnosticSink): FixupResult {
  const { elf } = mod;
  const out = Buffer.from(buf);
  const marked = [...mod.symbols.values()].filter((s) => s.shndx === SHN_UNDEF);
  for (const s of marked) out.writeUInt16LE(SHN_LIVEPATCH, elf.symbols[s.index]!.fileOffset + 6);

  const headers = elf.sections.map((s) => ({ ...s }));
  const taken = new Set(elf.sections.map((s) => s.name));
  const added: NewSection[] = [];
  const moved: FixupResult["moved"] = [];
  for (const r of movable(mod)) {
    // The entries left behind close up at the start of the section; the freed tail is zeroed.
    const kept = r.relas.filter((e) => !mod.symbols.has(e.sym));
    const at = r.section.offset;
    kept.forEach((e, i) => buf.copy(out, at + i * RELA_SIZE, e.fileOffset, e.fileOffset + RELA_SIZE));
    out.fill(0, at + kept.length * RELA_SIZE, at + r.section.size);
    headers[r.section.index]!.size = kept.length * RELA_SIZE;

    const byObject = new Map<string, ElfRela[]>();
    for (const e of r.klp) {
      const object = mod.symbols.get(e.sym)!.object;
      byObject.set(object, [...(byObject.get(object) ?? []), e]);
    }
    for (const object of [...byObject.keys()].sort()) {
      const relas = byObject.get(object)!;
      const name = `${KLP_RELA_PREFIX}${object}.${r.target.name.replace(/^\.+/, "")}`;
      if (taken.has(name)) {
        sink.report({ code: "KLP-E035", severity: "error", message: `${r.section.name} still has relocations against ${object} symbols, but a section ${name} exists already: the module is half rewritten`, location: { file: elf.file, line: 0, column: 0 }, hint: "rebuild the module and run `klp-ccp fixup` on kbuild's output" });
        continue;
      }
      taken.add(name);
      const data = Buffer.concat(relas.map((e) => buf.subarray(e.fileOffset, e.fileOffset + RELA_SIZE)));
      added.push({ name, type: SHT_RELA, flags: KLP_RELA_FLAGS, link: elf.symtab.index, info: r.target.index, addralign: 8, entsize: RELA_SIZE, data });
      moved.push({ from: r.section, name, index: headers.length + added.length - 1, relas });
    }
  }
  if (headers.length + added.length >= SHN_LORESERVE) {
    sink.report({ code: "KLP-E035", severity: "error", message: `the module would have ${headers.length + added.length} sections, more than ELF allows without extended numbering`, location: { file: elf.file, line: 0, column: 0 } });
  }
  if (sink.hasErrors) throw new StageFailed("elf");
  if (added.length === 0) return { ...(marked.length ? { output: out } : {}), marked, moved, sectionCount: headers.length };
  return { output: appendSections(out, elf, headers, added), marked, moved, sectionCount: headers.length + added.length };
}
