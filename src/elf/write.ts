import { SHDR_SIZE, SHN_LORESERVE } from "./format.js";
import type { ElfFile, ElfSection } from "./read.js";

/** A section to append: its header fields and contents. */
export interface NewSection {
  name: string;
  type: number;
  flags: bigint;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  data: Buffer;
}

/**
 * Returns a copy of `buf` grown at the end by, in order: the data of each
 * added section (aligned to its sh_addralign), a copy of .shstrtab with the
 * new names, and a new section header table (8-aligned) made of `headers`
 * (the file's headers, possibly with changed sizes) followed by the added
 * ones. Only e_shoff, e_shnum and .shstrtab's header change otherwise: no
 * existing section moves, so symbol and section indices stay valid. The old
 * .shstrtab and header table stay in the file, unreferenced.
 */
export function appendSections(buf: Buffer, elf: ElfFile, headers: ElfSection[], added: NewSection[]): Buffer {
  const total = headers.length + added.length;
  // More would need extended section numbering; callers check this first.
  if (total >= SHN_LORESERVE) throw new Error(`appendSections: ${total} sections`);
  const parts: Buffer[] = [buf];
  let size = buf.length;
  const push = (b: Buffer) => {
    parts.push(b);
    size += b.length;
  };
  const align = (n: number) => {
    const pad = n > 1 ? (n - (size % n)) % n : 0;
    if (pad) push(Buffer.alloc(pad));
  };

  const oldShstr = elf.sections[elf.shstrndx]!;
  const names: Buffer[] = [buf.subarray(oldShstr.offset, oldShstr.offset + oldShstr.size)];
  let namesSize = oldShstr.size;
  const all: ElfSection[] = headers.map((h) => ({ ...h }));
  for (const s of added) {
    align(s.addralign);
    const offset = size;
    push(s.data);
    const name = Buffer.from(`${s.name}\0`, "latin1");
    all.push({ index: all.length, name: s.name, nameOffset: namesSize, type: s.type, flags: s.flags, addr: 0n, offset, size: s.data.length, link: s.link, info: s.info, addralign: s.addralign, entsize: s.entsize });
    names.push(name);
    namesSize += name.length;
  }
  const shstr = all[elf.shstrndx]!;
  shstr.offset = size;
  shstr.size = namesSize;
  for (const n of names) push(n);
  align(8);
  const shoff = size;
  const table = Buffer.alloc(all.length * SHDR_SIZE);
  all.forEach((s, i) => writeHeader(table, i * SHDR_SIZE, s));
  push(table);

  const out = Buffer.concat(parts, size);
  out.writeBigUInt64LE(BigInt(shoff), 40);
  out.writeUInt16LE(all.length, 60);
  return out;
}

/** Serializes one Elf64_Shdr at `at`. */
export function writeHeader(table: Buffer, at: number, s: ElfSection): void {
  table.writeUInt32LE(s.nameOffset, at);
  table.writeUInt32LE(s.type, at + 4);
  table.writeBigUInt64LE(s.flags, at + 8);
  table.writeBigUInt64LE(s.addr, at + 16);
  table.writeBigUInt64LE(BigInt(s.offset), at + 24);
  table.writeBigUInt64LE(BigInt(s.size), at + 32);
  table.writeUInt32LE(s.link, at + 40);
  table.writeUInt32LE(s.info, at + 44);
  table.writeBigUInt64LE(BigInt(s.addralign), at + 48);
  table.writeBigUInt64LE(BigInt(s.entsize), at + 56);
}
