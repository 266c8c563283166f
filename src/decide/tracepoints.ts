import type { Closure } from "../closure/closure.js";
import type { OutputPiece } from "../model/plan.js";
import type { PpDecl, PpMacro } from "../model/syntax.js";
import type { TuContext } from "../model/tu.js";
import { applyRenames, identifierTokens, type Rename } from "../resolve/rename.js";
import { balancedEnd, macroFunction, parseDefinition, splitTopLevel } from "./tracepoint-text.js";

/** The kernel macros whose bodies define a tracepoint's header inlines (trace_X, trace_X_enabled, trace_X_rcuidle, ...). */
const TRACE_MACROS = ["__DECLARE_TRACE", "__DECLARE_TRACE_RCU"];

export interface RetargetOptions {
  ctx: TuContext;
  closure: Closure;
  /** Only the inlines a module build of the headers lacks (trace_X_rcuidle): klp-reloc mode for vmlinux, where the others stay header code. */
  moduleLacksOnly?: boolean;
}

/** The trace macro whose inlines (trace_X_rcuidle) linux/tracepoint.h defines only `#ifndef MODULE`: a livepatch must copy them. */
const NOT_IN_MODULES = "__DECLARE_TRACE_RCU";

/** What retargetTracepoints() found: the closure as the livepatch will use it, and its tracepoint inlines. */
export interface Retargeted {
  closure: Closure;
  /** Header inline (trace_X, trace_X_enabled ...) → its tracepoint's name X. */
  tracepoints: Map<string, string>;
}

/**
 * kallsyms mode: a tracepoint's header inlines (made by __DECLARE_TRACE, so
 * there is no source to copy) are copied by klp-ccp from that macro's body
 * (tracepointCopy). The copies call the tracepoint's iterator __traceiter_X,
 * which runs the registered probes, instead of its static call, as kernels
 * without static calls do: the static call's key and trampoline are not
 * needed, the iterator is.
 */
export function retargetTracepoints(o: RetargetOptions): Retargeted {
  const { ctx, closure } = o;
  const tracepoints = new Map<string, string>();
  const symbols = new Map(closure.symbols);
  const headerInlines = new Map(closure.headerInlines);
  for (const [name, hi] of closure.headerInlines) {
    const wanted = (e: string) => templateOf(ctx, name, e) && (!o.moduleLacksOnly || templateOf(ctx, name, e)!.macro === NOT_IN_MODULES);
    const event = [...hi.uses].map((u) => /^__tracepoint_(\w+)$/.exec(u)?.[1]).find((e) => e !== undefined && wanted(e));
    if (!event) continue;
    tracepoints.set(name, event);
    const uses = new Set([...hi.uses].filter((u) => u !== `__SCK__tp_func_${event}` && u !== `__SCT__tp_func_${event}`));
    const iter = (ctx.tu.decls.get(`__traceiter_${event}`) ?? []).find((d) => d.kind === "prototype" || d.kind === "function");
    if (iter) {
      uses.add(iter.name);
      if (!symbols.has(iter.name)) symbols.set(iter.name, { name: iter.name, what: "function", isStatic: false, decl: iter, via: name, viaHeaderInline: name });
    }
    headerInlines.set(name, { ...hi, uses });
  }
  // The static call's key and trampoline go unless a header inline left as it is (trace_X beside a copied trace_X_rcuidle) still uses them.
  for (const event of new Set(tracepoints.values())) {
    for (const sc of [`__SCK__tp_func_${event}`, `__SCT__tp_func_${event}`]) {
      if (symbols.get(sc)?.viaHeaderInline && ![...headerInlines.values()].some((hi) => hi.uses.has(sc))) symbols.delete(sc);
    }
  }
  return tracepoints.size ? { closure: { ...closure, symbols, headerInlines }, tracepoints } : { closure, tracepoints };
}

/** The header inline `name` as one of the trace macros' functions for tracepoint `event`, if it is one. */
function templateOf(ctx: TuContext, name: string, event: string): { macro: string; params: string[]; fn: { start: number; end: number; text: string } } | undefined {
  for (const macro of TRACE_MACROS) {
    const def = macroText(ctx, macro);
    if (!def) continue;
    const fn = macroFunction(def.body, (template) => instance(template, def.params, { name: event }) === name);
    if (fn) return { macro, params: def.params, fn };
  }
  return undefined;
}

/** A macro's parameters and body, from its header's source (readable, with its layout) or else the preprocessor's one-line definition. */
function macroText(ctx: TuContext, macro: string): { params: string[]; body: string } | undefined {
  const def = tracepointHeaderMacro(ctx, macro);
  const parsed = def ? parseDefinition(def.definition) : undefined;
  if (!def || !parsed) return undefined;
  const rel = ctx.markerToRel.get(def.file);
  const lines = rel ? ctx.loadSource(rel)?.text.split("\n") : undefined;
  if (lines) {
    const block: string[] = [];
    for (let i = def.line - 1; i < lines.length; i++) {
      block.push(lines[i]!.replace(/\\\s*$/, ""));
      if (!/\\\s*$/.test(lines[i]!)) break;
    }
    const fromSource = parseDefinition(block.join("\n"));
    const flat = (s: string) => s.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\s+/g, "");
    if (fromSource && flat(fromSource.body) === flat(parsed.body)) return fromSource;
  }
  return parsed;
}

/**
 * The definition linux/tracepoint.h gives `macro`: the one trace_X was made
 * with (a TU that creates its tracepoints redefines DECLARE_TRACE afterwards,
 * in trace/define_trace.h).
 */
function tracepointHeaderMacro(ctx: TuContext, macro: string): PpMacro | undefined {
  const defs = ctx.tu.macros.get(macro) ?? [];
  return defs.find((d) => (ctx.markerToRel.get(d.file) ?? d.file).endsWith("linux/tracepoint.h")) ?? defs[0];
}

/** `template` (`trace_##name##_enabled`) with the macro's parameters replaced and the pastes made. */
function instance(template: string, params: string[], values: Record<string, string>): string {
  const renames: Rename[] = [];
  for (const t of identifierTokens(template)) {
    if (params.includes(t.name) && values[t.name] !== undefined) renames.push({ start: t.start, end: t.end, text: values[t.name]! });
  }
  return applyRenames(template, renames).replace(/\s*##\s*/g, "");
}

/** The argument lists the trace macros were called with, recovered from what they made (see tracepointCopy). */
function macroArguments(ctx: TuContext, event: string): Record<string, string> | undefined {
  const trace = (ctx.tu.decls.get(`trace_${event}`) ?? []).find((d) => d.kind === "function");
  const iter = (ctx.tu.decls.get(`__traceiter_${event}`) ?? []).find((d) => d.kind === "prototype" || d.kind === "function");
  const proto = trace ? parameterList(ctx.tu.text.slice(trace.start, trace.end), `trace_${event}`) : undefined;
  const dataProto = iter ? parameterList(ctx.tu.text.slice(iter.start, iter.end), `__traceiter_${event}`) : undefined;
  if (!trace || proto === undefined || dataProto === undefined) return undefined;
  const args = splitTopLevel(proto).map(parameterName);
  if (args.some((a) => a === undefined)) return undefined;
  return { name: event, proto, args: args.join(", "), data_proto: dataProto, cond: conditionOf(ctx, trace) };
}

/** The text between the parentheses after `name` in a declaration. */
function parameterList(text: string, name: string): string | undefined {
  const m = new RegExp(`\\b${name}\\s*\\(`).exec(text);
  if (!m) return undefined;
  const open = m.index + m[0].length - 1;
  const end = balancedEnd(text, open);
  return end === undefined ? undefined : text.slice(open + 1, end).trim();
}

/** The declared name of one parameter (`struct s *info` → info, `void (*cb)(int)` → cb). */
function parameterName(param: string): string | undefined {
  const fnPointer = /\(\s*\*\s*([A-Za-z_]\w*)\s*\)/.exec(param);
  if (fnPointer) return fnPointer[1];
  const m = /([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*$/.exec(param.trim());
  return m?.[1];
}

/**
 * The tracepoint's condition as the trace macros spell it: the fourth argument
 * DECLARE_TRACE gives __DECLARE_TRACE (`cpu_online(raw_smp_processor_id())`),
 * or DECLARE_TRACE_CONDITION's with the event's TP_CONDITION(...) put in, when
 * the invocation that made it (TRACE_EVENT_CONDITION, DEFINE_EVENT_CONDITION)
 * has one. A wrapper macro with a condition of its own gives the preprocessed
 * condition of the TU's trace_X. The proof compares the copy with trace_X.
 */
function conditionOf(ctx: TuContext, trace: PpDecl): string {
  const rel = ctx.markerToRel.get(trace.file);
  const lines = rel ? ctx.loadSource(rel)?.text.split("\n") : undefined;
  const source = lines ? lines.slice(trace.line - 1).join("\n") : "";
  const call = /^\s*([A-Za-z_]\w*)\s*\(/.exec(source);
  const end = call ? balancedEnd(source, call[0].length - 1) : undefined;
  const invocation = call && end !== undefined ? source.slice(0, end + 1) : "";
  const fallback = () => preprocessedCondition(ctx.tu.text.slice(trace.start, trace.end)) ?? "1";
  const explicit = /\bTP_CONDITION\s*\(/.exec(invocation);
  const close = explicit ? balancedEnd(invocation, explicit.index + explicit[0].length - 1) : undefined;
  if (explicit && close !== undefined) {
    const d = declaredCondition(ctx, "DECLARE_TRACE_CONDITION");
    return d ? instance(d.cond, d.params, { cond: invocation.slice(explicit.index, close + 1) }) : fallback();
  }
  const wrapper = call ? ((ctx.tu.macros.get(call[1]!) ?? []).at(-1)?.definition ?? "") : "";
  if (/CONDITION|_COND\b/.test(wrapper) && !/^#\s*define\s+(?:TRACE_EVENT|DEFINE_EVENT|DECLARE_TRACE)\w*\s*\(/.test(wrapper)) return fallback();
  return declaredCondition(ctx, "DECLARE_TRACE")?.cond || fallback();
}

/** The condition argument `macro` (DECLARE_TRACE, DECLARE_TRACE_CONDITION) passes to __DECLARE_TRACE, with the macro's parameters. */
function declaredCondition(ctx: TuContext, macro: string): { params: string[]; cond: string } | undefined {
  const def = parseDefinition(tracepointHeaderMacro(ctx, macro)?.definition ?? "");
  const inner = def ? /\b__DECLARE_TRACE\s*\(/.exec(def.body) : undefined;
  const close = inner ? balancedEnd(def!.body, inner.index + inner[0].length - 1) : undefined;
  const cond = inner && close !== undefined ? splitTopLevel(def!.body.slice(inner.index + inner[0].length, close))[3]?.trim() : undefined;
  return def && cond ? { params: def.params, cond } : undefined;
}

/** `if (!(COND)) return;` of __DO_TRACE in a preprocessed trace_X: COND. */
function preprocessedCondition(text: string): string | undefined {
  const m = /\bif\s*\(\s*!\s*\(/.exec(text);
  if (!m) return undefined;
  const open = m.index + m[0].length - 1;
  const end = balancedEnd(text, open);
  return end === undefined ? undefined : text.slice(open + 1, end);
}

/**
 * The header inline `name` of tracepoint `event`, copied as klpr_NAME from the
 * trace macro's body with the macro's arguments put back (the prototype and
 * argument names from the TU's trace_X and __traceiter_X, the condition from
 * the trace header: see conditionOf) and externalized names renamed. The key
 * test and the iterator call become run-time ones through the redefinitions
 * before it (runtimeStaticKeys, tracepointIterators). Undefined when the
 * macro or the tracepoint's declarations are not found.
 */
export function tracepointCopy(ctx: TuContext, name: string, event: string, renameTo: (n: string) => string | undefined, onRename: (n: string) => void): string | undefined {
  const template = templateOf(ctx, name, event);
  const values = macroArguments(ctx, event);
  if (!template || !values) return undefined;
  const params = new Set(splitTopLevel(values.proto!).map(parameterName));
  // The condition is code of its own (tipc's TP_CONDITION calls tipc_sk_overlimit1, a function named
  // like its event): its names are renamed even where one is the event's, kept out of the loop below.
  const condRenames: Rename[] = [];
  for (const t of identifierTokens(values.cond ?? "")) {
    const to = params.has(t.name) ? undefined : renameTo(t.name);
    if (!to) continue;
    condRenames.push({ start: t.start, end: t.end, text: to });
    onRename(t.name);
  }
  const text = instance(template.fn.text, template.params, { ...values, cond: COND_PLACEHOLDER });
  const renames: Rename[] = [];
  let defined = false;
  for (const t of identifierTokens(text)) {
    if (t.name === COND_PLACEHOLDER) continue;
    // The event's own name (`__DO_TRACE(name, ...)`) is a macro argument, never a symbol (vm_unmapped_area fires vm_unmapped_area).
    if (params.has(t.name) || t.name === event) continue;
    const own = t.name === name && !defined;
    const to = own ? `klpr_${name}` : renameTo(t.name);
    if (t.name === name) defined = true;
    if (!to) continue;
    renames.push({ start: t.start, end: t.end, text: to });
    if (!own) onRename(t.name);
  }
  return dedent(applyRenames(text, renames).replaceAll(COND_PLACEHOLDER, applyRenames(values.cond ?? "", condRenames)));
}

/** Stands for the condition in the instanced macro body while the rest is renamed (an identifier no kernel code has). */
const COND_PLACEHOLDER = "__klp_ccp_tracepoint_condition__";

/** Trailing blanks (left by the macro's line continuations) dropped, the lines after the first moved left as far as they all can. */
function dedent(text: string): string {
  const lines = text.split("\n").map((l) => l.replace(/\s+$/, ""));
  const rest = lines.slice(1).filter((l) => l.trim());
  const indent = rest.length ? Math.min(...rest.map((l) => /^\t*/.exec(l)![0].length)) : 0;
  return [lines[0]!, ...lines.slice(1).map((l) => l.slice(Math.min(indent, /^\t*/.exec(l)![0].length)))].join("\n");
}

/**
 * The pieces for the tracepoint inlines among `names` (header inlines to copy
 * that have no source): the iterator redefinitions, then each copy. `failed`:
 * those that could not be copied (KLP-E017).
 */
export function tracepointPieces(ctx: TuContext, names: string[], tracepoints: Map<string, string> | undefined, renameTo: (n: string) => string | undefined, onRename: (n: string) => void): { pieces: OutputPiece[]; failed: string[] } {
  const pieces: OutputPiece[] = [];
  const failed: string[] = [];
  const events: string[] = [];
  for (const name of names) {
    const event = tracepoints?.get(name);
    if (!event) continue;
    const text = tracepointCopy(ctx, name, event, renameTo, onRename);
    if (!text) {
      failed.push(name);
      continue;
    }
    events.push(event);
    pieces.push({ origin: "klp-ccp", line: 0, kind: "function", text, note: `tracepoint inline ${name} (made by the trace macros) copied as klpr_${name}: it reaches the tracepoint through klpe_ pointers` });
  }
  return { pieces: [...tracepointIterators(events, renameTo, onRename), ...moduleLacked(ctx, names, tracepoints), ...pieces], failed };
}

const MODULE_LACKS_NOTE = "linux/tracepoint.h defines this only outside modules: the equivalence check reads the kernel's trace_X_rcuidle with it (nothing below expands it)";

/** __DECLARE_TRACE_RCU as vmlinux has it, when a trace_X_rcuidle is among the copies (the kernel's own is what the copy is checked against). */
function moduleLacked(ctx: TuContext, names: string[], tracepoints: Map<string, string> | undefined): OutputPiece[] {
  const copied = names.some((n) => {
    const e = tracepoints?.get(n);
    return e !== undefined && templateOf(ctx, n, e)?.macro === NOT_IN_MODULES;
  });
  const def = copied ? tracepointHeaderMacro(ctx, NOT_IN_MODULES)?.definition : undefined;
  return def ? [{ origin: "klp-ccp", line: 0, kind: "macro", text: `#undef ${NOT_IN_MODULES}\n${def}`, note: MODULE_LACKS_NOTE }] : [];
}

const ITERATOR_NOTE = "copied tracepoint calls run the tracepoint's iterator (the registered probes), as kernels without static calls do";

/**
 * After the includes, for the copied tracepoint inlines: __DO_TRACE calls
 * each tracepoint's iterator (through its klpe_ pointer when externalized)
 * instead of the static call, whose key and trampoline a lookup at init
 * cannot serve to a module's static call site.
 */
export function tracepointIterators(events: string[], renameTo: (n: string) => string | undefined, onRename: (n: string) => void): OutputPiece[] {
  if (events.length === 0) return [];
  const lines = ["#undef __DO_TRACE_CALL", "#define __DO_TRACE_CALL(name, args) KLPR_TRACEITER_##name(NULL, args)"];
  for (const e of [...new Set(events)].sort()) {
    const iter = `__traceiter_${e}`;
    const to = renameTo(iter);
    if (to) onRename(iter);
    lines.push(`#define KLPR_TRACEITER_${e} ${to ?? iter}`);
  }
  return [{ origin: "klp-ccp", line: 0, kind: "macro", text: lines.join("\n"), note: ITERATOR_NOTE }];
}

/**
 * The redefinitions the equivalence check reads the original TU with when the
 * livepatch has tracepoint copies: __DO_TRACE_CALL as kernels without static
 * calls define it (the livepatch's KLPR_TRACEITER_X stands for __traceiter_X,
 * or its klpe_ pointer), and __DECLARE_TRACE_RCU as vmlinux has it when a
 * trace_X_rcuidle is copied. Undefined when it has none.
 */
export function tracepointIteratorsIn(pieces: OutputPiece[]): string | undefined {
  if (!pieces.some((p) => p.origin === "klp-ccp" && p.note === ITERATOR_NOTE)) return undefined;
  const lacked = pieces.find((p) => p.origin === "klp-ccp" && p.note === MODULE_LACKS_NOTE)?.text;
  return ["#include <linux/tracepoint.h>", "#undef __DO_TRACE_CALL", "#define __DO_TRACE_CALL(name, args) __traceiter_##name(NULL, args)", ...(lacked ? [lacked] : [])].join("\n");
}
