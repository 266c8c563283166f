import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import { SHN_LIVEPATCH, SHN_UNDEF } from "./format.js";
import type { ElfFile } from "./read.js";

/** A livepatch symbol: `.klp.sym.<object>.<symbol>,<sympos>`. */
export interface KlpSymbol {
  /** Index in .symtab. */
  index: number;
  name: string;
  /** "vmlinux" or a module name. */
  object: string;
  symbol: string;
  sympos: number;
  /** SHN_UNDEF before fixup, SHN_LIVEPATCH after. */
  shndx: number;
}

/** Name prefix of livepatch symbols. */
export const KLP_SYM_PREFIX = ".klp.sym.";
/** Name prefix of livepatch relocation sections. */
export const KLP_RELA_PREFIX = ".klp.rela.";

// The kernel parses these names with sscanf(".klp.sym.%55[^.].%511[^,],%lu")
// (kernel/livepatch/core.c, klp_resolve_symbols); a name it would cut short
// or misread must not reach it.
const KLP_SYM = /^\.klp\.sym\.([^.,]+)\.([^,]+),(\d+)$/;
const MAX_OBJECT = 55;
const MAX_SYMBOL = 511;

/**
 * The `.klp.sym.` symbols of the module, by symbol index. A malformed name
 * (KLP-E033) or a defined one (KLP-E034) is reported; such symbols are left
 * out, so callers must stop when the sink has errors.
 */
export function klpSymbols(elf: ElfFile, sink: DiagnosticSink): Map<number, KlpSymbol> {
  const out = new Map<number, KlpSymbol>();
  for (const s of elf.symbols) {
    if (!s.name.startsWith(KLP_SYM_PREFIX)) continue;
    const where = { file: elf.file, line: 0, column: 0 };
    const m = KLP_SYM.exec(s.name);
    if (!m || m[1]!.length > MAX_OBJECT || m[2]!.length > MAX_SYMBOL) {
      const why = m ? `the object name may have at most ${MAX_OBJECT} and the symbol name ${MAX_SYMBOL} characters` : "expected .klp.sym.OBJECT.NAME,POS (OBJECT without '.' or ',', NAME without ',', POS a number)";
      sink.report({ code: "KLP-E033", severity: "error", message: `symbol ${s.index} ${JSON.stringify(s.name)} is not a well-formed livepatch symbol name: ${why}`, location: where, hint: "fix the asm label of its declaration, e.g. __asm__(\"\\\".klp.sym.vmlinux.saved_command_line,0\\\"\")" });
      continue;
    }
    if (s.shndx !== SHN_UNDEF && s.shndx !== SHN_LIVEPATCH) {
      sink.report({ code: "KLP-E034", severity: "error", message: `symbol ${s.index} ${s.name} is defined in the module (section ${s.shndx}); a livepatch symbol must be undefined`, location: where });
      continue;
    }
    out.set(s.index, { index: s.index, name: s.name, object: m[1]!, symbol: m[2]!, sympos: Number(m[3]), shndx: s.shndx });
  }
  return out;
}

/**
 * The object of a `.klp.rela.<object>.<section>` name, read as the kernel
 * does (".klp.rela.%55[^.]"), or undefined when it would not parse.
 */
export function klpRelaObject(sectionName: string): string | undefined {
  const m = /^\.klp\.rela\.([^.]+)/.exec(sectionName);
  return m && m[1]!.length <= MAX_OBJECT ? m[1] : undefined;
}
