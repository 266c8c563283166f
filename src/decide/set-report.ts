import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { LivepatchSet } from "../model/livepatch-set.js";
import { compareText } from "../util/compare.js";
import { buildReport } from "./report.js";
import type { Report } from "../model/report.js";

/**
 * report.json of a livepatch over one or more TUs. One TU: as buildReport.
 * Several: every TU's entries, each naming its TU (`tu`), the copied names
 * and usedBy of all of them (the first TU's link where two share a name), and
 * per TU its own (`tus`), which explain follows. The diagnostics are the
 * run's, once.
 */
export function buildSetReport(set: LivepatchSet, diagnostics: Diagnostic[]): Report {
  if (set.parts.length === 1) return buildReport(set.parts[0]!.plan);
  const parts = set.parts.map((p) => ({ part: p, r: buildReport(p.plan) }));
  const usedBy: Record<string, string> = {};
  for (const { r } of parts) for (const [k, v] of Object.entries(r.usedBy)) usedBy[k] ??= v;
  const copiedData = parts.flatMap(({ r }) => r.copiedData ?? []);
  return {
    name: set.name,
    externalize: set.mode,
    patched: parts.flatMap(({ part, r }) => r.patched.map((x) => ({ ...x, tu: part.relPath }))),
    externalized: parts.flatMap(({ part, r }) => r.externalized.map((x) => ({ ...x, tu: part.relPath }))),
    referenced: parts.flatMap(({ part, r }) => r.referenced.map((x) => ({ ...x, tu: part.relPath }))),
    copied: [...new Set(parts.flatMap(({ r }) => r.copied))].sort(compareText),
    ...(copiedData.length ? { copiedData } : {}),
    usedBy: Object.fromEntries(Object.entries(usedBy).sort(([a], [b]) => compareText(a, b))),
    tus: parts.map(({ part, r }) => ({ tu: part.relPath, file: `${set.name}_${part.key}.c`, object: part.plan.patched[0]?.object ?? "vmlinux", copied: r.copied, usedBy: r.usedBy })),
    diagnostics,
  };
}
