import { R_X86_64_NAMES, SHN_LIVEPATCH, SHN_UNDEF } from "./format.js";
import { isFixedUp, type FixupResult, type KlpModule } from "./klp-relocs.js";
import type { ElfRela } from "./read.js";

/**
 * The `fixup --check` listing, a review aid: the state, the .klp.sym
 * symbols, and for every section they are used in, its relocation sections
 * with their counts (and the livepatch ones with header fields and entries).
 * Contains no path, so it can be compared with a golden file.
 */
export function formatCheck(mod: KlpModule): string {
  const lines = [`state: ${state(mod)}`];
  const syms = [...mod.symbols.values()];
  lines.push(`livepatch symbols (${syms.length}):`);
  for (const s of syms) {
    const uses = mod.relaSections.filter((r) => r.loaded).reduce((n, r) => n + r.klp.filter((e) => e.sym === s.index).length, 0);
    lines.push(`  [${s.index}] ${s.name}  ${shndxName(s.shndx)}  ${plural(uses, "relocation")}`);
  }
  const targets = [...new Set(mod.relaSections.filter((r) => r.livepatch || r.klp.length).map((r) => r.target.index))].sort((a, b) => a - b);
  lines.push(`sections using livepatch symbols, with their relocation sections (${targets.length}):`);
  for (const t of targets) {
    const target = mod.elf.sections[t]!;
    const rs = mod.relaSections.filter((r) => r.target.index === t);
    lines.push(`  [${t}] ${target.name}${rs[0]!.loaded ? "" : " (not SHF_ALLOC: not loaded, left alone)"}:`);
    for (const r of rs) {
      const s = r.section;
      if (!r.livepatch) {
        lines.push(`    [${s.index}] ${s.name}: ${plural(r.relas.length, "relocation")}, ${r.klp.length} against .klp.sym symbols`);
        continue;
      }
      lines.push(`    [${s.index}] ${s.name}: ${plural(r.relas.length, "relocation")}, livepatch: flags ${flagNames(s.flags)} link ${s.link} info ${s.info} entsize ${s.entsize} align ${s.addralign}`);
      for (const e of r.relas) lines.push(`      ${formatRela(mod, e)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** What `fixup` changed, one line per symbol and per new section. */
export function formatChanges(mod: KlpModule, result: FixupResult): string {
  const lines = result.marked.map((s) => `symbol ${s.index} ${s.name}: SHN_UNDEF -> SHN_LIVEPATCH`);
  for (const m of result.moved) {
    lines.push(`[${m.from.index}] ${m.from.name}: ${plural(m.relas.length, "relocation")} -> [${m.index}] ${m.name}`);
    for (const e of m.relas) lines.push(`    ${formatRela(mod, e)}`);
  }
  return lines.length ? `${lines.join("\n")}\n` : "";
}

function state(mod: KlpModule): string {
  if (mod.symbols.size === 0 && !mod.relaSections.some((r) => r.livepatch)) return "no .klp.sym symbols, nothing to fix";
  if (isFixedUp(mod)) return "livepatch ELF format, nothing to fix";
  const marks = [...mod.symbols.values()].filter((s) => s.shndx === SHN_UNDEF).length;
  const moves = mod.relaSections.filter((r) => !r.livepatch && r.loaded).reduce((n, r) => n + r.klp.length, 0);
  return `needs fixup: ${plural(marks, "symbol")} to mark SHN_LIVEPATCH, ${plural(moves, "relocation")} to move`;
}

function formatRela(mod: KlpModule, e: ElfRela): string {
  const type = R_X86_64_NAMES[e.type] ?? `type ${e.type}`;
  const addend = e.addend < 0n ? `-${-e.addend}` : `+${e.addend}`;
  return `0x${e.offset.toString(16)} ${type} ${mod.elf.symbols[e.sym]!.name} ${addend}`;
}

function shndxName(shndx: number): string {
  if (shndx === SHN_UNDEF) return "SHN_UNDEF";
  return shndx === SHN_LIVEPATCH ? "SHN_LIVEPATCH" : `section ${shndx}`;
}

const FLAG_NAMES: [bigint, string][] = [[0x1n, "SHF_WRITE"], [0x2n, "SHF_ALLOC"], [0x4n, "SHF_EXECINSTR"], [0x40n, "SHF_INFO_LINK"], [0x100000n, "SHF_RELA_LIVEPATCH"]];

function flagNames(flags: bigint): string {
  const names = FLAG_NAMES.filter(([bit]) => flags & bit).map(([, n]) => n);
  const rest = FLAG_NAMES.reduce((f, [bit]) => f & ~bit, flags);
  if (rest) names.push(`0x${rest.toString(16)}`);
  return `0x${flags.toString(16)} (${names.join("|") || "none"})`;
}

/** "1 relocation", "3 relocations". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
