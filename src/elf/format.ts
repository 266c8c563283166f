/**
 * The few ELF64 constants and record sizes the livepatch rewrite needs
 * (System V gABI, x86-64 psABI, include/uapi/linux/elf.h of Linux 6.1).
 */

/** Record sizes: Elf64_Ehdr, Elf64_Shdr, Elf64_Sym, Elf64_Rela. */
export const EHDR_SIZE = 64;
export const SHDR_SIZE = 64;
export const SYM_SIZE = 24;
export const RELA_SIZE = 24;

/** e_ident[EI_CLASS], e_ident[EI_DATA], e_type and e_machine of an x86-64 .ko. */
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ET_REL = 1;
export const EM_X86_64 = 62;

/** Section types (sh_type). */
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;

/** Section flags (sh_flags): the section is loaded. */
export const SHF_ALLOC = 0x2n;
/** The section holds machine instructions. */
export const SHF_EXECINSTR = 0x4n;
/** sh_info holds a section index. */
export const SHF_INFO_LINK = 0x40n;
/** Linux only: the loader hands such a section to klp_apply_section_relocs(). */
export const SHF_RELA_LIVEPATCH = 0x00100000n;

/** st_shndx of an undefined symbol. */
export const SHN_UNDEF = 0;
/** First reserved section index: more sections than this need extended numbering. */
export const SHN_LORESERVE = 0xff00;
/** Linux only: simplify_symbols() leaves such a symbol to livepatch. */
export const SHN_LIVEPATCH = 0xff20;

/** Symbol types (st_info & 0xf): a function's code, a section. */
export const STT_FUNC = 2;
export const STT_SECTION = 3;

/** Relocation types whose value is relative to the place (call/jmp rel32, RIP-relative operands). */
export const R_X86_64_PC32 = 2;
export const R_X86_64_PLT32 = 4;

/** Symbol binding (st_info >> 4) of a weak symbol. */
export const STB_WEAK = 2;

/** x86-64 relocation type names, for listings only (unknown types print as numbers). */
export const R_X86_64_NAMES: Record<number, string> = {
  1: "R_X86_64_64",
  2: "R_X86_64_PC32",
  4: "R_X86_64_PLT32",
  9: "R_X86_64_GOTPCREL",
  10: "R_X86_64_32",
  11: "R_X86_64_32S",
  24: "R_X86_64_PC64",
  41: "R_X86_64_GOTPCRELX",
  42: "R_X86_64_REX_GOTPCRELX",
};
