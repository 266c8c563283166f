import type { Diagnostic, DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { Decision } from "../model/policy.js";

/** The diagnostics of a refusal: one per location, all errors (--force makes them warnings). */
export function refusalDiagnostics(d: Extract<Decision, { kind: "refuse" }>): Diagnostic[] {
  return d.locations.map((location) => ({ code: d.code, severity: "error", message: d.message, location, ...(d.hint ? { hint: d.hint } : {}) }));
}

export function reportRefusal(d: Extract<Decision, { kind: "refuse" }>, sink: DiagnosticSink): void {
  for (const diagnostic of refusalDiagnostics(d)) sink.report(diagnostic);
}
