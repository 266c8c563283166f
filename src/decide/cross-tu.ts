import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { TuPart } from "../model/livepatch-set.js";

export interface CrossTuOptions {
  parts: TuPart[];
  sink: DiagnosticSink;
}

/**
 * Two TUs of one fix that would replace the same kernel function (object,
 * name, sympos): the livepatch core refuses a second klp_func of one name
 * (its sysfs entry exists already, -EEXIST), so the module would not load.
 * KLP-E058 at the second TU.
 */
export function refuseDuplicateFunctions(o: CrossTuOptions): void {
  const seen = new Map<string, string>();
  for (const part of o.parts) {
    for (const f of part.plan.patched) {
      const key = `${f.object}:${f.name},${f.sympos}`;
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, part.relPath);
        continue;
      }
      if (first === part.relPath) continue;
      o.sink.report({
        code: "KLP-E058",
        severity: "error",
        message: `${part.relPath} and ${first} both replace ${f.object}'s ${f.name}${f.sympos ? `,${f.sympos}` : ""}: one livepatch can register a kernel function once`,
        location: { file: part.relPath, line: 0, column: 0 },
        hint: "check --symbols (the two TUs' functions should be different symbols), or make one TU's change the only one to that function",
      });
    }
  }
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
