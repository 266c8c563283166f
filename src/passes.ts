/**
 * extract's passes, in the order they run, each with what it gives the next
 * (plain data; its diagnostics go to the sink). A pass that reports an error
 * ends the run. `extract --dump-stage NAME` prints a pass's output as JSON
 * and stops after it.
 */
export const EXTRACT_PASSES = {
  /** readFix: the patches read and the fix's shape checked, once and first: its .c files (the TUs), files it cannot livepatch refused. */
  fix: "the patches, and the .c files (TUs) the fix changes",
  /** applyFix: the fix applied to a scratch tree; each TU's preprocessor started (it runs while the next passes do), on worker threads for several TUs. */
  apply: "the patched files' text, by path",
  /** readTables: the running kernel's symbol table and Module.symvers. */
  tables: "the symbol table's file and modules, and the count of exports",
  /** planTus: the fix squashed to one diff per file, and what is analysed: a header fix's plan, or the fix's TUs. */
  tus: "the squashed fix, the TUs to analyse and a header fix's plan",
  /** analyseFixTus: analyseTu per TU of the fix, then a header fix's other users (on worker threads where there are several): preprocess, parse, resolve, closure, decide. */
  plans: "each TU's livepatch plan",
  /** assembleSet: the livepatch over every TU, checked across TUs and compiled (checkSet). */
  set: "the livepatch set",
  /** buildSetReport: what report.json says. */
  report: "the report",
  /** renderLivepatchSet: the files to write. */
  files: "the files to write, by name",
} as const;

export type ExtractPass = keyof typeof EXTRACT_PASSES;

export const PASS_NAMES = Object.keys(EXTRACT_PASSES) as ExtractPass[];

/** A pass's output when the run stops after it (`--dump-stage`). */
export interface PassDump {
  pass: ExtractPass;
  /** The output made plain for JSON (Map → object, Set → array, bigint → string). */
  output: unknown;
}

/**
 * Checks that passes end in their declared order, and stops the run after
 * the one to dump (thrown as DumpStop, caught by the orchestrator).
 */
export class PassRunner {
  private ended = 0;

  constructor(private readonly dump?: ExtractPass) {}

  /** Pass `name` ended with `out`: returns it, or stops the run when it is the one to dump (`show` makes what is printed). */
  end<T>(name: ExtractPass, out: T, show: (o: T) => unknown = (o) => o): T {
    if (PASS_NAMES[this.ended] !== name) throw new Error(`invariant: pass ${name} ended where ${PASS_NAMES[this.ended]} was due`);
    this.ended++;
    if (name === this.dump) throw new DumpStop({ pass: name, output: plain(show(out)) });
    return out;
  }
}

/** Ends the run after the pass to dump (control flow inside the orchestrator, never seen outside it). */
export class DumpStop {
  constructor(readonly dump: PassDump) {}
}

/** `value` as JSON-ready data: Maps become objects (keys as strings), Sets arrays, bigints strings; functions are left out. */
export function plain(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "function") return undefined;
  if (value === null || typeof value !== "object") return value;
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v)]));
  if (value instanceof Set || Array.isArray(value)) return [...(value as Iterable<unknown>)].map(plain);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const p = plain(v);
    if (p !== undefined) out[k] = p;
  }
  return out;
}
