import type { Report } from "../model/report.js";

/** One link of an explanation: a name and how the livepatch handles it. */
export interface ExplainStep {
  name: string;
  handling: string;
}

/**
 * Why a symbol is in the livepatch: the chain from a replaced function (and
 * the changed line behind it) through the code that needed it, each link
 * with its handling. Undefined when the report does not mention the name.
 */
export function explain(report: Report, symbol: string): ExplainStep[] | undefined {
  // Several TUs: each has its own chains (two may copy the same name); the first TU that knows the name answers.
  for (const t of report.tus ?? []) {
    const own = <T extends { tu?: string }>(list: T[]) => list.filter((x) => x.tu === t.tu);
    const steps = explainOne({ ...report, patched: own(report.patched), externalized: own(report.externalized), referenced: own(report.referenced), copied: t.copied, usedBy: t.usedBy, tus: [] }, symbol);
    if (steps) return steps.map((s, i) => (i === 0 ? { ...s, handling: `${s.handling}; in ${t.tu}` } : s));
  }
  return explainOne(report, symbol);
}

function explainOne(report: Report, symbol: string): ExplainStep[] | undefined {
  const handling = (name: string): string | undefined => {
    const p = report.patched.find((x) => x.function === name);
    if (p) return `replaced${p.sympos ? `, old_sympos ${p.sympos}` : ""}: ${p.reason.replace(new RegExp(`^${escape(name)} `), "")}`;
    const e = report.externalized.find((x) => x.symbol === name);
    if (e) return `externalized (${report.externalize}${e.sympos ? `, sympos ${e.sympos}` : ""}): ${e.reason}`;
    if (report.copied.includes(name)) return "static with no symbol of its own (inlined everywhere): copied";
    const r = report.referenced.find((x) => x.symbol === name);
    if (r) return `exported by ${r.exportedBy}: referenced by name`;
    if (Object.hasOwn(report.usedBy, name)) return "type, enumerator or header inline the code needs: copied from the file or compiled from the included header";
    return undefined;
  };
  const first = handling(symbol);
  if (!first) return undefined;
  const steps: ExplainStep[] = [{ name: symbol, handling: first }];
  const seen = new Set([symbol]);
  let current = symbol;
  while (!report.patched.some((p) => p.function === current)) {
    const by = Object.hasOwn(report.usedBy, current) ? report.usedBy[current] : undefined;
    if (!by || seen.has(by)) break;
    seen.add(by);
    steps.unshift({ name: by, handling: handling(by) ?? "needed on the way" });
    current = by;
  }
  return steps;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
