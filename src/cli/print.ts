import { type Diagnostic, formatDiagnostic } from "../diagnostics/diagnostic.js";

/** Colours only on a terminal, and never when NO_COLOR is set (no-color.org). */
function useColor(): boolean {
  return Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
}

const COLOR: Record<Diagnostic["severity"], string> = { error: "\x1b[1;31m", warning: "\x1b[1;33m", note: "\x1b[1;36m" };

/** One diagnostic on stderr, as `file:line:col: severity CODE: message` (+ hint). */
export function printDiagnostic(d: Diagnostic, prefix = ""): void {
  let line = formatDiagnostic(d);
  if (useColor()) line = line.replace(`${d.severity} ${d.code}`, `${COLOR[d.severity]}${d.severity}\x1b[0m ${d.code}`);
  process.stderr.write(`${prefix}${line}\n`);
}

/** A progress line on stderr for a step that takes more than a second. */
export function printProgress(message: string): void {
  process.stderr.write(useColor() ? `\x1b[2mklp-ccp: ${message}\x1b[0m\n` : `klp-ccp: ${message}\n`);
}
