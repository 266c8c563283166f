import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { TuPart } from "../model/livepatch-set.js";

export interface CrossTuOptions {
  parts: TuPart[];
  sink: DiagnosticSink;
}

/**
 * A function one TU of the fix replaces that another TU's new code calls:
 * without LTO gcc never inlines across TUs, so the caller reaches it through
 * its symbol (referenced or externalized, as any other), and ftrace sends
 * that call to the replacement once the patch is enabled; both switch in the
 * same transition. Reported (KLP-W019) so that the user sees the link, with
 * the TU each side comes from.
 */
export function reportCrossTuCalls(o: CrossTuOptions): void {
  for (const caller of o.parts) {
    const uses = [...caller.plan.externalized, ...caller.plan.referenced].filter((u) => u.what === "function");
    for (const u of uses) {
      const owner = o.parts.find((p) => p !== caller && p.plan.patched.some((f) => f.name === u.name && f.object === u.object));
      if (!owner) continue;
      const by = caller.plan.usedBy[u.name];
      o.sink.report({
        code: "KLP-W019",
        severity: "warning",
        message: `${by ? `${by} (${caller.relPath})` : caller.relPath} calls ${u.name}, which this livepatch replaces in ${owner.relPath}: the call goes to the kernel's ${u.name} (${u.decision.kind === "reference" ? "by name" : "externalized"}), which the patch redirects to the new one`,
        location: { file: caller.relPath, line: 0, column: 0 },
        hint: "nothing to do when the new code of both files is meant to run together (one livepatch, one transition); a changed signature of the callee is then safe for this caller",
      });
    }
  }
}
