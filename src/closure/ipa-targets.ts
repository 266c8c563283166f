import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { IpaRecord, SymbolTable } from "../model/input.js";
import type { PatchedFunction } from "../model/plan.js";
import type { TranslationUnit } from "../model/tu.js";
import { locateTuSymbol, type Location } from "../resolve/locate.js";
import { freeReferences } from "../resolve/free-references.js";
import { compareText } from "../util/compare.js";

const CLONE_SUFFIX = /\.(?:constprop|isra|part|cold|localalias)\.\d+$|\.cold$/;

/** The source function a (possibly cloned) symbol name comes from: `a.part.0.constprop.1` → `a`. */
export function baseName(symbol: string): string {
  let s = symbol;
  while (CLONE_SUFFIX.test(s)) s = s.replace(CLONE_SUFFIX, "");
  return s;
}

export interface IpaTargetOptions {
  ctx: TranslationUnit;
  changed: string[];
  /** Why each changed function counts as changed ("changed at fs/proc/meminfo.c:161"). */
  why?: (fn: string) => string;
  symbols: SymbolTable;
  sink: DiagnosticSink;
  /** Function symbols of the TU's compiled object that refer to a symbol (IpaView.objectCallers). */
  objectCallers?: (name: string) => string[];
}

/** What the IPA analysis needs to know about a TU, as plain functions (testable without a TU). */
export interface IpaView {
  /** The TU's clone/inline records. */
  records: IpaRecord[];
  /** Where a function of the TU is in the running kernel. */
  locate: (name: string) => Location;
  /** Functions of the TU whose bodies call or use `name`. */
  callers: (name: string) => string[];
  /**
   * Function symbols of the TU's compiled (unpatched) object whose code refers
   * to the symbol `name` through a relocation; may be clones (`bar.part.0`).
   */
  objectCallers?: (name: string) => string[];
}

/** The replacement targets found for the changed functions, and the ones that found none. */
export interface IpaTargets {
  targets: Array<{ name: string; sympos: number; reason: string }>;
  /** Changed functions with no symbol and no caller that has one. */
  unreachable: string[];
}

/**
 * Which kernel functions must be replaced so that no old copy of a changed
 * function's code keeps running. A changed function F is replaced itself when
 * it has a symbol; where gcc inlined F into G (`inlining to` records, G maybe
 * a clone), G's source function is replaced, recursively; where F has an
 * out-of-line .constprop/.isra clone (a private ABI), every caller of F in the
 * TU is replaced instead: those of the call graph, and those whose code in the
 * compiled object refers to the clone or F through a relocation. `.part` splits are reached through F itself and the
 * callers that inlined F's head; `.cold` parts belong to their parent. Stops at
 * functions that have a symbol.
 */
export function findIpaTargets(view: IpaView, changed: string[], why: (fn: string) => string = () => "changed by the patch"): IpaTargets {
  const found = new Map<string, { name: string; sympos: number; reason: string }>();
  // The dump is a log in time order: when F was inlined into G at record p, only copies of G
  // made after p (G inlined into H at a later record) carry F's code; earlier copies call F
  // (or its .part) out of line. So each function is followed from the record that reached it.
  const visitedAfter = new Map<string, number>();
  const onPath = new Set<string>();
  const reached = new Map<string, number>();
  const visit = (fn: string, chain: string, after: number): number => {
    const seen = visitedAfter.get(fn);
    if (onPath.has(fn) || (seen !== undefined && seen <= after)) return reached.get(fn) ?? 0;
    visitedAfter.set(fn, after);
    onPath.add(fn);
    let count = 0;
    const loc = view.locate(fn);
    if (loc.found) {
      if (!found.has(fn)) found.set(fn, { name: fn, sympos: loc.sympos, reason: chain });
      count++;
    }
    for (const { rec, at } of recordsAbout(view.records, fn, after)) {
      if (rec.reason === "inlining to") {
        const into = rec.clone.name;
        const base = baseName(into);
        const origin = into === base ? "" : `, ${/\.part\.\d+/.test(into) ? "split" : "cloned"} from ${base}`;
        count += visit(base, `${chain}; inlined into ${into}${origin}`, at);
      } else if ((rec.reason === "constprop" || rec.reason === "isra") && view.locate(rec.clone.name).found) {
        const clone = `${fn} has the ${rec.reason} clone ${rec.clone.name} (own ABI), so its caller`;
        for (const { caller, via } of callersOf(view, fn, rec.clone.name)) {
          count += visit(caller, `${chain}; ${clone} ${caller} is replaced${via}`, -1);
        }
      }
    }
    onPath.delete(fn);
    reached.set(fn, Math.max(count, reached.get(fn) ?? 0));
    return count;
  };
  const unreachable = changed.filter((fn) => visit(fn, `${fn} ${why(fn)}`, -1) === 0);
  return { targets: [...found.values()].sort((a, b) => compareText(a.name, b.name)), unreachable };
}

/**
 * The callers of `fn` (whose clone `clone` has its own ABI): the TU's call
 * graph first, then the source functions of the object's symbols that refer
 * to the clone or to `fn` and that the call graph did not show, with a note
 * (`via`) saying so. Clone symbols count as their source function, as for
 * `inlining to` records.
 */
function callersOf(view: IpaView, fn: string, clone: string): Array<{ caller: string; via: string }> {
  const graph = view.callers(fn);
  const out = graph.map((caller) => ({ caller, via: "" }));
  const fromObject = new Map<string, string>();
  for (const target of [clone, fn]) {
    for (const symbol of view.objectCallers?.(target) ?? []) {
      const caller = baseName(symbol);
      if (caller === fn || graph.includes(caller) || fromObject.has(caller)) continue;
      const who = symbol === caller ? caller : `${symbol} (${cloneKind(symbol)} ${caller})`;
      fromObject.set(caller, ` (found from the compiled object's relocations, not the call graph: ${who} refers to ${target})`);
    }
  }
  for (const [caller, via] of [...fromObject].sort(([a], [b]) => compareText(a, b))) out.push({ caller, via });
  return out;
}

/** How a clone symbol relates to its source function, for reason chains. */
function cloneKind(symbol: string): string {
  if (/\.cold(?:\.\d+)?$/.test(symbol)) return "the cold part of";
  return /\.part\.\d+/.test(symbol) ? "split from" : "cloned from";
}

/** findIpaTargets on a real TU, with errors for changed functions that cannot be replaced. */
export function ipaTargets(opts: IpaTargetOptions): PatchedFunction[] {
  const { ctx, symbols, sink } = opts;
  const view: IpaView = {
    records: ctx.ipa,
    locate: (name) => locateTuSymbol(symbols, ctx, name, isStaticInTu(ctx, name) || name.includes(".")),
    callers: (name) => callersInTu(ctx, name),
    ...(opts.objectCallers ? { objectCallers: opts.objectCallers } : {}),
  };
  const result = findIpaTargets(view, opts.changed, opts.why);
  for (const fn of result.unreachable) {
    const loc = view.locate(fn);
    if (!loc.found && loc.ambiguous) {
      sink.report({ code: "KLP-E014", severity: "error", message: `${fn} cannot be replaced: ${loc.why}`, location: { file: ctx.relPath, line: 0, column: 0 }, hint: "give the running kernel's own System.map or kallsyms, and the build tree the kernel was built from (its objects place same-named functions)" });
      continue;
    }
    sink.report({
      code: "KLP-E013",
      severity: "error",
      message: `${fn} has no symbol of its own (${loc.found ? "found" : loc.why}) and no caller that has one${ctx.hasIpaDump ? "" : " (no IPA clone dump was found for " + ctx.relPath + ")"}`,
      location: { file: ctx.relPath, line: 0, column: 0 },
      hint: ctx.hasIpaDump ? "check that --symbols is the running kernel's" : "produce the TU's dump with -fdump-ipa-clones and pass --ipa-clones",
    });
  }
  return result.targets.map((t) => ({ name: t.name, sourceName: t.name, object: ctx.object, sympos: t.sympos, reason: t.reason }));
}

/** Clone and inline records whose original is `fn` or one of its clones, made after record `after`, with their positions. */
function recordsAbout(records: IpaRecord[], fn: string, after: number): Array<{ rec: Extract<IpaRecord, { kind: "clone" }>; at: number }> {
  const out: Array<{ rec: Extract<IpaRecord, { kind: "clone" }>; at: number }> = [];
  const seen = new Set<string>();
  for (let at = after + 1; at < records.length; at++) {
    const r = records[at]!;
    if (r.kind !== "clone" || baseName(r.original.name) !== fn) continue;
    const key = `${r.original.name}|${r.clone.name}|${r.reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ rec: r, at });
  }
  return out;
}

function isStaticInTu(ctx: TranslationUnit, fn: string): boolean {
  return (ctx.tu.decls.get(fn) ?? []).some((d) => d.kind === "function" && d.storage === "static");
}

/** Functions of the TU's own files whose bodies use `fn` (only those whose text names it are parsed); kept in the TU. */
function callersInTu(ctx: TranslationUnit, fn: string): string[] {
  const hit = ctx.callers.get(fn);
  if (hit) return hit;
  const word = new RegExp(`(?<![\\w$])${fn.replace(/\$/g, "\\$")}(?![\\w$])`);
  const callers = new Set<string>();
  for (const decls of ctx.ownDecls().values()) {
    for (const d of decls) {
      if (d.kind !== "function" || ctx.homeOf(d) === "header" || d.name === fn) continue;
      if (!word.test(ctx.tu.text.slice(d.start, d.end))) continue;
      if (freeReferences(d.node).some((r) => r.name === fn)) callers.add(d.name);
    }
  }
  const out = [...callers].sort();
  ctx.callers.set(fn, out);
  return out;
}
