/**
 * The symbols an object defines (a module's `.ko`, or a TU's compiled `.o`),
 * with the section and offset the object gives them. A symbol table dumped
 * without the target module has none of its symbols: the module's own `.ko`
 * then tells which names exist (gcc folds constants and drops unused statics)
 * and in which order same-named ones come (livepatch's sympos counts them in
 * the module's symbol-table order). Offsets within a section also place a
 * TU's symbols in the linked kernel or module: the linker moves each input
 * section as a whole.
 */
import { existsSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { DiagnosticSink, StageFailed } from "../diagnostics/diagnostic.js";
import type { ObjectSymbol } from "../model/input.js";
import { SHF_ALLOC, SHF_EXECINSTR, SHN_LORESERVE, SHT_NOBITS, STT_FUNC } from "./format.js";
import { readElf } from "./read.js";

const STT_OBJECT = 1;
const STB_GLOBAL = 1;
const SHF_WRITE = 0x1n;

/**
 * Defined function and data symbols of an ET_REL object, in symbol-table
 * order, typed like nm (t/T, d/D, b/B, r/R); undefined when the file is
 * missing or is not an x86-64 ELF64 object (plain, .gz, or .xz/.zst through
 * the xz/zstd commands: 6.12's Debian modules are .ko.xz).
 */
export function objectSymbols(file: string, module?: string): ObjectSymbol[] | undefined {
  if (!existsSync(file)) return undefined;
  let elf;
  try {
    elf = readElf(unpacked(file), file, new DiagnosticSink());
  } catch (e) {
    if (e instanceof StageFailed || (e as { status?: unknown }).status !== undefined || (e as { code?: unknown }).code === "ENOENT") return undefined;
    throw e;
  }
  const out: ObjectSymbol[] = [];
  for (const s of elf.symbols) {
    const kind = s.info & 0xf;
    if ((kind !== STT_FUNC && kind !== STT_OBJECT) || !s.name || s.shndx === 0 || s.shndx >= SHN_LORESERVE) continue;
    const sec = elf.sections[s.shndx];
    if (!sec || (sec.flags & SHF_ALLOC) === 0n) continue;
    const letter = (sec.flags & SHF_EXECINSTR) !== 0n ? "t" : sec.type === SHT_NOBITS ? "b" : (sec.flags & SHF_WRITE) !== 0n ? "d" : "r";
    out.push({
      name: s.name, address: s.value.toString(16), type: s.info >> 4 === STB_GLOBAL ? letter.toUpperCase() : letter,
      ...(module !== undefined ? { module } : {}), index: out.length, section: sec.name, offset: s.value,
    });
  }
  return out;
}

/** The file's bytes, uncompressed (a failing or missing xz/zstd throws, as a child process error). */
function unpacked(file: string): Buffer {
  if (file.endsWith(".xz")) return execFileSync("xz", ["-dc", file], { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "ignore"] });
  if (file.endsWith(".zst")) return execFileSync("zstd", ["-qdc", file], { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "ignore"] });
  const raw = readFileSync(file);
  return file.endsWith(".gz") ? gunzipSync(raw) : raw;
}
