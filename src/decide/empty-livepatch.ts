import { StageFailed, type DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { PatchedFunction } from "../model/plan.js";

/**
 * A livepatch that replaces nothing would load and change nothing: never write
 * one. KLP-E040 cannot be accepted with --force; it names the changed functions
 * and the diagnostics that left them out (often errors accepted with --force).
 */
export function refuseEmptyLivepatch(patched: PatchedFunction[], changed: Array<{ name: string }>, relPath: string, sink: DiagnosticSink): void {
  if (patched.length > 0) return;
  const forced = [...new Set(sink.items.filter((d) => d.severity === "warning" && sink.forcedCodes.has(d.code)).map((d) => d.code))].sort();
  const what = changed.length ? `the changed function(s) ${changed.map((c) => c.name).join(", ")} left no klp_func` : "the fix leaves no function to replace (it only deletes functions)";
  sink.report({
    code: "KLP-E040",
    severity: "error",
    message: `nothing to replace: ${what}${forced.length ? ` (errors accepted with --force: ${forced.join(", ")})` : ""}; a livepatch without a function would load and change nothing`,
    location: { file: relPath, line: 0, column: 0 },
    hint: forced.length ? "the errors accepted with --force removed every function: fix what they report instead" : "see the warnings above for why each function was left out",
  });
  throw new StageFailed("empty");
}
