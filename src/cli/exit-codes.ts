import { CODES, type DiagnosticCode } from "../diagnostics/codes.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";

/** Exit codes, the CLI's contract: 0 ok, 1 unsafe or unsupported patch, 2 bad input or usage, 3 internal error (a bug). */
export const EXIT_OK = 0;
export const EXIT_UNSAFE = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_INTERNAL = 3;

/** Bad input (2) wins over an unsafe patch (1): fix the input first. */
export function exitCodeFor(diagnostics: Diagnostic[]): number {
  let code = EXIT_OK;
  for (const d of diagnostics) {
    if (d.severity !== "error") continue;
    const exit = (CODES as Record<string, { exit: number }>)[d.code as DiagnosticCode]?.exit ?? EXIT_BAD_INPUT;
    code = Math.max(code, exit);
  }
  return code;
}
