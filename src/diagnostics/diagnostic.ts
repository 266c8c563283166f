import { CODES, type CodeInfo } from "./codes.js";

/** A position in a file the user gave us (or one derived from it). 1-based line and column. */
export interface SourceLocation {
  /** Path as the user knows it (relative to the kernel source tree when it is in there). */
  file: string;
  /** 1-based line; 0 when the whole file is meant. */
  line: number;
  /** 1-based column; 0 when unknown. */
  column: number;
}

export type Severity = "error" | "warning" | "note";

/** One finding of a stage: what, where, and what the user can do about it. */
export interface Diagnostic {
  /** Stable code from the catalogue (codes.ts), e.g. "KLP-E002". */
  code: string;
  severity: Severity;
  /** What went wrong, one sentence. */
  message: string;
  /** Where it went wrong, when a place is known. */
  location?: SourceLocation;
  /** What to do instead. */
  hint?: string;
}

/** Collects diagnostics; stages report into it instead of throwing on user error. */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];

  /** @param forced codes the user accepted with --force: their errors become warnings. */
  constructor(private readonly forced: ReadonlySet<string> = new Set()) {}

  /** The codes accepted with --force (for sinks made alongside this one). */
  get forcedCodes(): ReadonlySet<string> {
    return this.forced;
  }

  report(d: Diagnostic): void {
    if (d.severity === "error" && this.forced.has(d.code) && (CODES as Record<string, CodeInfo>)[d.code]?.forceable !== false) {
      this.items.push({ ...d, severity: "warning", message: `${d.message} (accepted with --force ${d.code})` });
      return;
    }
    this.items.push(d);
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === "error");
  }

  errors(): Diagnostic[] {
    return this.items.filter((d) => d.severity === "error");
  }
}

/**
 * Thrown by a stage when it cannot go on because of bad input. The diagnostics
 * it carries are already in the sink; the CLI maps them to an exit code.
 */
export class StageFailed extends Error {
  constructor(readonly stage: string) {
    super(`stage ${stage} failed`);
  }
}

export function formatLocation(loc: SourceLocation | undefined): string {
  if (!loc) return "";
  if (!loc.line) return `${loc.file}: `;
  return loc.column ? `${loc.file}:${loc.line}:${loc.column}: ` : `${loc.file}:${loc.line}: `;
}

export function formatDiagnostic(d: Diagnostic): string {
  const hint = d.hint ? `\n  hint: ${d.hint}` : "";
  return `${formatLocation(d.location)}${d.severity} ${d.code}: ${d.message}${hint}`;
}
