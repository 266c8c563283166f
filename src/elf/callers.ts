/**
 * Who calls whom in a compiled object, from its relocations: the build tree's
 * `<obj>.o` is the unpatched code as it runs, so a function whose code refers
 * to a clone (`foo.constprop.0`) there is a caller that must be replaced, even
 * where the patched TU's call graph does not show it.
 *
 * The limit: the assembler resolves a call to a local function in the same
 * section itself and leaves no relocation, so without -ffunction-sections only
 * callers in another section (.text.unlikely, .init.text, .noinstr.text ...)
 * are seen here; the call graph finds the others.
 */
import { existsSync, readFileSync } from "node:fs";
import { DiagnosticSink, StageFailed } from "../diagnostics/diagnostic.js";
import { R_X86_64_PC32, R_X86_64_PLT32, SHF_EXECINSTR, SHN_LORESERVE, SHT_RELA, STT_FUNC, STT_SECTION } from "./format.js";
import { readElf, readRelas, type ElfFile, type ElfSymbol } from "./read.js";

/**
 * The function symbols of `file` (an ET_REL object) whose code refers to a
 * function symbol through a relocation, as `symbol => [containing functions]`,
 * sorted. The file is read on the first call, only if it exists; an object
 * that cannot be read (missing, not an x86-64 ELF64 .o) has no callers.
 */
export function objectCallers(file: string): (symbol: string) => string[] {
  let refs: Map<string, string[]> | undefined;
  return (symbol) => {
    refs ??= existsSync(file) ? referencesIn(readFileSync(file), file) : new Map();
    return refs.get(symbol) ?? [];
  };
}

function referencesIn(buf: Buffer, file: string): Map<string, string[]> {
  // Problems of the object are not the user's: no callers from it, the call graph remains.
  const quiet = new DiagnosticSink();
  let elf: ElfFile;
  try {
    elf = readElf(buf, file, quiet);
  } catch (e) {
    if (e instanceof StageFailed) return new Map();
    throw e;
  }
  const functions = functionsBySection(elf);
  const found = new Map<string, Set<string>>();
  for (const rela of elf.sections.filter((s) => s.type === SHT_RELA)) {
    const applied = elf.sections[rela.info];
    if (!applied || (applied.flags & SHF_EXECINSTR) === 0n) continue;
    let entries;
    try {
      entries = readRelas(buf, elf, rela, quiet);
    } catch (e) {
      if (e instanceof StageFailed) continue;
      throw e;
    }
    const here = functions.get(applied.index) ?? [];
    for (const r of entries) {
      const target = targetOf(elf, functions, r.sym, r.type, r.addend);
      const caller = here.find((f) => f.value <= r.offset && r.offset < f.value + f.size);
      if (!target || !caller || caller.name === target) continue;
      let set = found.get(target);
      if (!set) found.set(target, (set = new Set()));
      set.add(caller.name);
    }
  }
  return new Map([...found].map(([target, callers]) => [target, [...callers].sort()]));
}

/** Defined function symbols with a size, per section index. */
function functionsBySection(elf: ElfFile): Map<number, ElfSymbol[]> {
  const out = new Map<number, ElfSymbol[]>();
  for (const s of elf.symbols) {
    if ((s.info & 0xf) !== STT_FUNC || s.shndx === 0 || s.shndx >= SHN_LORESERVE || s.size === 0n || !s.name) continue;
    const list = out.get(s.shndx) ?? [];
    list.push(s);
    out.set(s.shndx, list);
  }
  return out;
}

/**
 * The function a relocation refers to: its symbol when that is a function,
 * or, for a reference to a section symbol plus addend (how the assembler
 * names local functions), the function starting at that offset. For a
 * place-relative rel32 (call/jmp), the target is 4 bytes past the addend.
 */
function targetOf(elf: ElfFile, functions: Map<number, ElfSymbol[]>, index: number, type: number, addend: bigint): string | undefined {
  const sym = elf.symbols[index]!;
  const kind = sym.info & 0xf;
  if (kind === STT_FUNC) return sym.name || undefined;
  if (kind !== STT_SECTION) return undefined;
  const at = addend + (type === R_X86_64_PC32 || type === R_X86_64_PLT32 ? 4n : 0n);
  return functions.get(sym.shndx)?.find((f) => f.value === at)?.name;
}
