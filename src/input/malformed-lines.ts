import type { Diagnostic, DiagnosticSink } from "../diagnostics/diagnostic.js";

/** How many malformed lines of one file are reported one by one; the rest are counted. */
export const MALFORMED_SHOWN = 5;

/**
 * Reports a file's malformed lines, the first MALFORMED_SHOWN of them each
 * with its location and then one line with the count of the rest: a garbage
 * file gives a few readable errors, not one per line.
 */
export class MalformedLines {
  private count = 0;
  private first: Diagnostic | undefined;

  constructor(
    private readonly sink: DiagnosticSink,
    private readonly file: string,
  ) {}

  /** The number of malformed lines seen so far. */
  get seen(): number {
    return this.count;
  }

  /** One malformed line; `make` is called only when it is shown. */
  add(make: () => Diagnostic): void {
    if (this.count++ < MALFORMED_SHOWN) {
      const d = make();
      this.first ??= d;
      this.sink.report(d);
    }
  }

  /** The count of the lines not shown, if any; call once, after the last line. */
  finish(): void {
    const rest = this.count - MALFORMED_SHOWN;
    if (rest <= 0 || !this.first) return;
    this.sink.report({ code: this.first.code, severity: "error", message: `${rest} more malformed line(s) not shown (${this.count} in all)`, location: { file: this.file, line: 0, column: 0 }, ...(this.first.hint ? { hint: this.first.hint } : {}) });
  }
}
