import type { DiagnosticCode } from "../diagnostics/codes.js";

/** The codes `klp-ccp fixup` reports (catalogued in diagnostics/codes.ts). */
export type ElfDiagnosticCode = Extract<DiagnosticCode, `KLP-E03${number}`>;
