/**
 * A small ELF64 little-endian reader over a Buffer: the ELF header, section
 * headers and names, the one .symtab with its .strtab, and Elf64_Rela tables.
 *
 * Why our own code: no npm package rewrites ELF relocation sections, and
 * objcopy cannot set the livepatch flags (SHN_LIVEPATCH, SHF_RELA_LIVEPATCH),
 * so `klp-ccp fixup` reads and writes the few structures it needs itself.
 * Only what a kbuild .ko for x86-64 uses is supported; anything else is
 * refused with a diagnostic, never guessed at.
 */
import { StageFailed, type DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { ElfDiagnosticCode } from "./codes.js";
import {
  EHDR_SIZE, ELFCLASS64, ELFDATA2LSB, EM_X86_64, ET_REL, RELA_SIZE, SHDR_SIZE, SHN_LORESERVE,
  SHT_NOBITS, SHT_RELA, SHT_STRTAB, SHT_SYMTAB, SYM_SIZE,
} from "./format.js";

/** One section header, with its name resolved. */
export interface ElfSection {
  index: number;
  name: string;
  /** sh_name: offset of the name in .shstrtab. */
  nameOffset: number;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
}

/** One Elf64_Sym of .symtab. */
export interface ElfSymbol {
  /** Index in .symtab: relocations refer to symbols by it. */
  index: number;
  name: string;
  /** st_info: binding << 4 | type. */
  info: number;
  shndx: number;
  /** st_value: in a relocatable file, the offset in section `shndx`. */
  value: bigint;
  /** st_size: bytes of code or data the symbol covers (0 for labels and sections). */
  size: bigint;
  /** File offset of the Elf64_Sym record. */
  fileOffset: number;
}

/** One Elf64_Rela entry. */
export interface ElfRela {
  offset: bigint;
  type: number;
  /** Symbol index (high 32 bits of r_info). */
  sym: number;
  addend: bigint;
  /** File offset of the 24-byte record. */
  fileOffset: number;
}

/** A parsed module: enough to rewrite it without moving anything. */
export interface ElfFile {
  /** The path as the user gave it, for messages. */
  file: string;
  sections: ElfSection[];
  shstrndx: number;
  symtab: ElfSection;
  symbols: ElfSymbol[];
}

/** Reports a fatal problem of the file and stops the stage. */
export function elfFail(sink: DiagnosticSink, code: ElfDiagnosticCode, file: string, message: string, hint?: string): never {
  sink.report({ code, severity: "error", message, location: { file, line: 0, column: 0 }, ...(hint ? { hint } : {}) });
  throw new StageFailed("elf");
}

/**
 * Parses `buf` (the bytes of `file`). Every offset and size is checked
 * against the file, so later stages may index the buffer freely. Reports
 * KLP-E030 (not an x86-64 ELF64 LE ET_REL), KLP-E031 (truncated or
 * inconsistent) or KLP-E032 (no .symtab) and throws StageFailed.
 */
export function readElf(buf: Buffer, file: string, sink: DiagnosticSink): ElfFile {
  const bad = (message: string): never => elfFail(sink, "KLP-E031", file, message);
  if (buf.length < 4 || buf.readUInt32BE(0) !== 0x7f454c46) {
    elfFail(sink, "KLP-E030", file, "not an ELF file (no \\x7fELF magic)", "pass the module's .ko file");
  }
  if (buf.length < EHDR_SIZE) bad(`truncated: ${buf.length} bytes, shorter than the 64-byte ELF64 header`);
  const notModule = (what: string): never => elfFail(sink, "KLP-E030", file, `${what}; fixup takes an ELF64 little-endian x86-64 relocatable module (.ko)`);
  if (buf[4] !== ELFCLASS64) notModule(`ELF class ${buf[4]} is not ELF64`);
  if (buf[5] !== ELFDATA2LSB) notModule("the file is not little-endian");
  const type = buf.readUInt16LE(16);
  if (type !== ET_REL) notModule(`e_type ${type} is not ET_REL (a linked program or shared object, not a module)`);
  const machine = buf.readUInt16LE(18);
  if (machine !== EM_X86_64) notModule(`e_machine ${machine} is not x86-64 (62)`);

  const shoff = u64(buf, 40, "e_shoff", bad);
  const shentsize = buf.readUInt16LE(58);
  const shnum = buf.readUInt16LE(60);
  const shstrndx = buf.readUInt16LE(62);
  // e_shnum 0 with a table means extended numbering (>= 0xff00 sections): never a kbuild module.
  if (shnum === 0) notModule("there is no section header table (or it uses extended numbering)");
  if (shentsize !== SHDR_SIZE) bad(`e_shentsize is ${shentsize}, expected ${SHDR_SIZE}`);
  if (shoff + shnum * SHDR_SIZE > buf.length) bad(`truncated: the section header table ends at byte ${shoff + shnum * SHDR_SIZE}, the file has ${buf.length}`);
  if (shstrndx === 0 || shstrndx >= Math.min(shnum, SHN_LORESERVE)) bad(`e_shstrndx ${shstrndx} names no section`);

  const sections: ElfSection[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * SHDR_SIZE;
    const s: ElfSection = {
      index: i, name: "", nameOffset: buf.readUInt32LE(o), type: buf.readUInt32LE(o + 4),
      flags: buf.readBigUInt64LE(o + 8), addr: buf.readBigUInt64LE(o + 16),
      offset: u64(buf, o + 24, "sh_offset", bad), size: u64(buf, o + 32, "sh_size", bad),
      link: buf.readUInt32LE(o + 40), info: buf.readUInt32LE(o + 44),
      addralign: u64(buf, o + 48, "sh_addralign", bad), entsize: u64(buf, o + 56, "sh_entsize", bad),
    };
    if (s.type !== SHT_NOBITS && s.offset + s.size > buf.length) {
      bad(`truncated: section ${i} ends at byte ${s.offset + s.size}, the file has ${buf.length}`);
    }
    sections.push(s);
  }
  const shstrtab = sections[shstrndx]!;
  if (shstrtab.type !== SHT_STRTAB) bad(`section ${shstrndx} (e_shstrndx) is not a string table`);
  for (const s of sections) {
    const name = cstr(buf, shstrtab, s.nameOffset);
    if (name === undefined) bad(`section ${s.index} has a name outside .shstrtab`);
    s.name = name!;
  }

  const symtabs = sections.filter((s) => s.type === SHT_SYMTAB);
  if (symtabs.length === 0) elfFail(sink, "KLP-E032", file, "no symbol table (.symtab): the module was stripped of its symbols", "rebuild the module; `strip --strip-debug` is fine, `strip --strip-all` is not");
  if (symtabs.length > 1) bad(`${symtabs.length} symbol tables (SHT_SYMTAB), expected one`);
  const symtab = symtabs[0]!;
  if (symtab.entsize !== SYM_SIZE || symtab.size % SYM_SIZE !== 0) bad(`.symtab has entries of ${symtab.entsize} bytes and size ${symtab.size}, expected a multiple of ${SYM_SIZE}`);
  const strtab = sections[symtab.link];
  if (!strtab || symtab.link === 0 || strtab.type !== SHT_STRTAB) bad(`.symtab's sh_link ${symtab.link} is not a string table`);
  const symbols: ElfSymbol[] = [];
  for (let i = 0; i < symtab.size / SYM_SIZE; i++) {
    const o = symtab.offset + i * SYM_SIZE;
    const name = cstr(buf, strtab!, buf.readUInt32LE(o));
    if (name === undefined) bad(`symbol ${i} has a name outside .strtab`);
    symbols.push({ index: i, name: name!, info: buf[o + 4]!, shndx: buf.readUInt16LE(o + 6), value: buf.readBigUInt64LE(o + 8), size: buf.readBigUInt64LE(o + 16), fileOffset: o });
  }
  return { file, sections, shstrndx, symtab, symbols };
}

/**
 * The entries of a SHT_RELA section, with symbol indices checked against
 * .symtab (KLP-E031 otherwise).
 */
export function readRelas(buf: Buffer, elf: ElfFile, section: ElfSection, sink: DiagnosticSink): ElfRela[] {
  const where = `relocation section ${section.index} (${section.name})`;
  if (section.type !== SHT_RELA) throw new Error(`readRelas: ${where} is not SHT_RELA`);
  if (section.entsize !== RELA_SIZE || section.size % RELA_SIZE !== 0) {
    elfFail(sink, "KLP-E031", elf.file, `${where} has entries of ${section.entsize} bytes and size ${section.size}, expected a multiple of ${RELA_SIZE}`);
  }
  const out: ElfRela[] = [];
  for (let o = section.offset; o < section.offset + section.size; o += RELA_SIZE) {
    const sym = buf.readUInt32LE(o + 12);
    if (sym >= elf.symbols.length) elfFail(sink, "KLP-E031", elf.file, `${where}: entry at byte ${o} names symbol ${sym}, .symtab has ${elf.symbols.length}`);
    out.push({ offset: buf.readBigUInt64LE(o), type: buf.readUInt32LE(o + 8), sym, addend: buf.readBigInt64LE(o + 16), fileOffset: o });
  }
  return out;
}

/** An unsigned 64-bit field as a number; larger than any file we read means corrupt. */
function u64(buf: Buffer, at: number, field: string, bad: (m: string) => never): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) bad(`${field} at byte ${at} is ${v}, beyond any file`);
  return Number(v);
}

/** The NUL-terminated string at `off` of a string table, or undefined if it runs out of it. */
function cstr(buf: Buffer, table: ElfSection, off: number): string | undefined {
  if (off >= table.size) return off === 0 && table.size === 0 ? "" : undefined;
  const end = buf.indexOf(0, table.offset + off);
  if (end < 0 || end >= table.offset + table.size) return undefined;
  return buf.toString("latin1", table.offset + off, end);
}
