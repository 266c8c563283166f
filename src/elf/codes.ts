import type { CodeInfo } from "../diagnostics/codes.js";

/**
 * Diagnostic codes of `klp-ccp fixup` (KLP-E030..KLP-E039). Kept here until
 * they are merged into the main catalogue (diagnostics/codes.ts); same shape
 * and same exit convention: 2 = bad input, 1 = a module we refuse to rewrite.
 */
export const ELF_CODES = {
  "KLP-E030": { exit: 2, advice: "The file is not a kernel module object: fixup takes an ELF64 little-endian x86-64 relocatable file (a .ko)." },
  "KLP-E031": { exit: 2, advice: "The ELF file is truncated or inconsistent (a table or section lies outside the file): rebuild the module." },
  "KLP-E032": { exit: 2, advice: "The module has no symbol table: do not run `strip --strip-all` on a livepatch module; rebuild it." },
  "KLP-E033": { exit: 1, advice: "A .klp.sym symbol name is malformed: it must read .klp.sym.OBJECT.NAME,POS (see Documentation/livepatch/module-elf-format.rst)." },
  "KLP-E034": { exit: 1, advice: "A .klp.sym symbol is defined in the module: livepatch symbols must stay undefined; rename the definition." },
  "KLP-E035": { exit: 1, advice: "The module already has livepatch relocation sections that are wrong or clash with the rewrite: rebuild it and run fixup once on kbuild's output." },
  "KLP-E036": { exit: 1, advice: "An undefined symbol is neither a .klp.sym symbol nor exported (Module.symvers): the loader would refuse the module; fix the name or externalize it." },
  "KLP-E037": { exit: 2, advice: "The module or its output could not be read or written: check the path and permissions." },
} as const satisfies Record<string, CodeInfo>;

export type ElfDiagnosticCode = keyof typeof ELF_CODES;
