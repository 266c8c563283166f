import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { Report } from "../model/report.js";

/** The fields each list entry must have, by type: what `explain` reads. */
const ENTRY_FIELDS = {
  patched: { function: "string", sympos: "number", reason: "string" },
  externalized: { symbol: "string", sympos: "number", reason: "string" },
  referenced: { symbol: "string", exportedBy: "string" },
} as const;

/**
 * Reads a report.json that extract wrote, checking the shape `explain` relies
 * on (a hand-edited or foreign file is bad input, not a crash). Problems are
 * reported against the file with the JSON path of the first bad value.
 * The result holds own properties only: `usedBy` is a null-prototype map, so
 * no name resolves to Object.prototype's members.
 */
export function readReport(file: string, text: string, sink: DiagnosticSink): Report | undefined {
  const fail = (message: string) => {
    sink.report({ code: "KLP-E004", severity: "error", message: `not a report.json of klp-ccp: ${message}`, location: { file, line: 0, column: 0 }, hint: "pass the report.json that extract wrote" });
    return undefined;
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return fail((e as Error).message);
  }
  if (!isRecord(data)) return fail("expected an object");
  for (const [list, fields] of Object.entries(ENTRY_FIELDS)) {
    const entries = own(data, list);
    if (!Array.isArray(entries)) return fail(`"${list}" is not a list`);
    for (const [i, entry] of entries.entries()) {
      if (!isRecord(entry)) return fail(`${list}[${i}] is not an object`);
      const bad = Object.entries(fields).find(([key, type]) => typeof own(entry, key) !== type);
      if (bad) return fail(`${list}[${i}].${bad[0]} is not a ${bad[1]}`);
    }
  }
  const copied = own(data, "copied");
  if (!Array.isArray(copied) || copied.some((c) => typeof c !== "string")) return fail(`"copied" is not a list of names`);
  const externalize = own(data, "externalize");
  if (externalize !== undefined && typeof externalize !== "string") return fail(`"externalize" is not a string`);
  const usedByRaw = own(data, "usedBy") ?? {};
  if (!isRecord(usedByRaw)) return fail(`"usedBy" is not an object`);
  const usedBy: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, by] of Object.entries(usedByRaw)) {
    if (typeof by !== "string") return fail(`usedBy[${JSON.stringify(name)}] is not a name`);
    usedBy[name] = by;
  }
  const tus = own(data, "tus");
  if (tus !== undefined) {
    if (!Array.isArray(tus)) return fail(`"tus" is not a list`);
    for (const [i, t] of tus.entries()) {
      if (!isRecord(t) || typeof own(t, "tu") !== "string") return fail(`tus[${i}].tu is not a string`);
      const c = own(t, "copied");
      if (!Array.isArray(c) || c.some((x) => typeof x !== "string")) return fail(`tus[${i}].copied is not a list of names`);
      const u = own(t, "usedBy");
      if (!isRecord(u) || Object.values(u).some((x) => typeof x !== "string")) return fail(`tus[${i}].usedBy is not an object of names`);
    }
  }
  return { ...(data as unknown as Report), usedBy };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An own property only (never one inherited from Object.prototype). */
function own(o: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}
