import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { ExportTable } from "../model/input.js";
import { SHN_UNDEF, STB_WEAK } from "./format.js";
import type { KlpModule } from "./klp-relocs.js";

/**
 * The undefined symbols the module loader must resolve from exports: all
 * SHN_UNDEF symbols but the .klp.sym ones (livepatch resolves those) and
 * weak ones (the loader lets those stay 0). Sorted, each name once.
 */
export function undefinedSymbols(mod: KlpModule): string[] {
  const names = new Set<string>();
  for (const s of mod.elf.symbols) {
    if (s.index === 0 || s.shndx !== SHN_UNDEF || !s.name || mod.symbols.has(s.index)) continue;
    if (s.info >> 4 === STB_WEAK) continue;
    names.add(s.name);
  }
  return [...names].sort();
}

/**
 * Reports (KLP-E036) each undefined symbol that Module.symvers does not
 * export: kbuild lets those through with KBUILD_MODPOST_WARN=1, which a
 * livepatch built for .klp.sym symbols needs, so a typo would only show at
 * insmod time ("Unknown symbol").
 */
export function checkExports(mod: KlpModule, exports: ExportTable, symversFile: string, sink: DiagnosticSink): void {
  for (const name of undefinedSymbols(mod)) {
    if (exports.has(name)) continue;
    sink.report({
      code: "KLP-E036",
      severity: "error",
      message: `undefined symbol ${name} is not exported (not in ${symversFile}) and not a .klp.sym symbol: the loader would refuse the module`,
      location: { file: mod.elf.file, line: 0, column: 0 },
      hint: "check the name; a non-exported symbol must be declared under its .klp.sym.OBJECT.NAME,POS name",
    });
  }
}
