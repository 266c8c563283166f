import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { ExportTable, SymbolTable } from "../model/input.js";
import type { Decision, Resolution, SymbolUse } from "../model/policy.js";
import { homeOf, type TuContext } from "../model/tu.js";
import type { Closure, SymbolNeed } from "../closure/closure.js";
import { locateByName, locateInModuleObject, locateTuSymbol } from "../resolve/locate.js";
import { generatedFunctionNames, macroDefinedFunctions } from "../resolve/macro-defined-functions.js";
import { compareText } from "../util/compare.js";
import { isCompileTimeTrap } from "./compile-time-trap.js";
import { foldedStaticReason } from "./folded-static.js";
import { reportRefusal } from "./refusals.js";

export interface DecideOptions {
  ctx: TuContext;
  closure: Closure;
  exports: ExportTable;
  /** The running kernel's symbols; without them (--functions mode) non-static names are assumed reachable. */
  symbols?: SymbolTable;
  mode: "kallsyms" | "klp-reloc";
  /** Closure-only output: a changed table keeps its name (copied, not copied as klpp_). */
  keepNames?: boolean;
  sink: DiagnosticSink;
}

/**
 * The policy for the functions and variables the closure reaches: exported →
 * referenced by name; otherwise, if the running kernel has it → externalized
 * (a variable is never copied: copying would fork kernel state); a missing
 * variable or function is refused. One decision per name, in name order; the
 * refusals and warnings are reported as they are made.
 */
export function decideSymbols(opts: DecideOptions): SymbolUse[] {
  const { ctx, closure, exports, symbols, sink } = opts;
  const uses: SymbolUse[] = [];
  const leave = (need: SymbolNeed, why: string) => uses.push({ name: need.name, what: need.what, object: ctx.object, isStatic: need.isStatic, decision: { kind: "leave", why }, reason: why, placement: "after-includes" });
  for (const need of [...closure.symbols.values()].sort((a, b) => compareText(a.name, b.name))) {
    const home = homeOf(ctx, need.decl);
    const definedHere = home !== "header" && (need.decl.kind === "function" || need.decl.kind === "variable");
    // Declared in a header: its type needs only header types, so it can go right after the
    // includes, before any redefined header macro or copied header inline that uses it.
    const inHeader = (ctx.tu.decls.get(need.name) ?? []).some((d) => homeOf(ctx, d) === "header");
    const placement = inHeader ? ("after-includes" as const) : { file: ctx.markerToRel.get(need.decl.file) ?? ctx.relPath, line: need.decl.line };
    if (closure.changedTables.has(need.name)) {
      uses.push({ name: need.name, what: "variable", object: ctx.object, isStatic: true, decision: opts.keepNames ? { kind: "copy" } : { kind: "copy-renamed", newName: `klpp_${need.name}` }, reason: `static const table whose values the patch changes: copied with the new values as klpp_${need.name}, read by the replaced functions; it holds no state`, placement });
      continue;
    }
    // EXPORT_STATIC_CALL_TRAMP: modules call the exported trampoline, and the key is named only by
    // __STATIC_CALL_MOD_ADDRESSABLE, which is empty under -DMODULE (preempt_enable's preempt_schedule).
    if (need.name.startsWith("__SCK__") && !exports.has(need.name) && exports.has(`__SCT__${need.name.slice(7)}`)) {
      uses.push({ name: need.name, what: need.what, object: ctx.object, isStatic: need.isStatic, decision: { kind: "leave", why: "a static-call key: modules call its exported trampoline" }, reason: `static-call key of the exported __SCT__${need.name.slice(7)}`, placement });
      continue;
    }
    const exported = need.isStatic ? undefined : exports.get(need.name);
    // Exported by the very module being patched: a by-name reference would make the livepatch
    // depend on it (and fail to load without it); it is bound like the module's other symbols.
    const exp = exported && !isExportOf(exported.module, ctx.object) ? exported : undefined;
    if (exp) {
      uses.push({ name: need.name, what: need.what, object: "vmlinux", isStatic: false, decision: { kind: "reference", exportedBy: exp.module }, reason: `${exp.exportType} by ${exp.module}`, placement });
      continue;
    }
    if (!symbols) {
      uses.push(withoutSymbolTable(need, ctx.object, placement, opts.mode));
      continue;
    }
    // THIS_MODULE in a module TU is `&__this_module`, the target module's own struct module:
    // every module has exactly one, in its own kallsyms. The copied code reaches it like any
    // other symbol of that module (assemble never binds the name itself, which would make the
    // livepatch's own klp_patch.mod the target's).
    if (need.name === "__this_module" && ctx.object !== "vmlinux") {
      uses.push({
        name: need.name,
        what: "variable",
        object: ctx.object,
        isStatic: false,
        decision: { kind: "externalize", sympos: 0, resolution: resolutionOf(opts.mode, ctx.object) },
        reason: `THIS_MODULE of module ${ctx.object}: its struct module (__this_module, one per module)`,
        placement,
      });
      continue;
    }
    // Another object file of a target module the symbol table lacks: its .ko has the name.
    const inModule = !definedHere && ctx.moduleSymbols?.wholeModule && !symbols.byName.has(need.name) && ctx.moduleSymbols.symbols.some((s) => s.name === need.name);
    const object = definedHere || inModule ? ctx.object : objectOf(symbols, need.name);
    const loc = definedHere
      ? locateTuSymbol(symbols, ctx, need.name, need.isStatic)
      : inModule
        ? locateInModuleObject(ctx.moduleSymbols!, ctx.object, need.name, ctx)
        : locateByName(symbols, object, need.name, need.isStatic);
    if (!loc.found && need.viaHeaderInline) {
      // Only header code uses it and the kernel has no such symbol: a compile-time
      // trap (__bad_size_call_parameter) or a branch gcc drops. modpost has the last word.
      sink.report({
        code: "KLP-W004",
        severity: "warning",
        message: `${need.what} ${need.name}, used inside header inline ${need.viaHeaderInline}, is neither exported nor in the symbol table; if gcc keeps that use, modpost will reject the module`,
        location: { file: ctx.markerToRel.get(need.decl.file) ?? need.decl.file, line: need.decl.line, column: 0 },
      });
      leave(need, "used only inside a header inline, in code gcc drops");
      continue;
    }
    if (!loc.found && home === "header" && (need.decl.kind === "prototype" || need.decl.kind === "extern-variable") && !spelledIn(ctx, need.via, need.name)) {
      // The TU's own code never names it: a kernel macro's expansion does (this_cpu_read's
      // __bad_size_call_parameter, static_branch's ____wrong_branch_error, _IOC_TYPECHECK's
      // __invalid_size_argument_for_IOC), in a branch gcc drops.
      sink.report({
        code: "KLP-W004",
        severity: "warning",
        message: `${need.what} ${need.name}, used by ${need.via} only inside a kernel macro's expansion, is neither exported nor in the symbol table: a compile-time trap gcc drops; if gcc keeps that use, modpost will reject the module`,
        location: { file: ctx.markerToRel.get(need.decl.file) ?? need.decl.file, line: need.decl.line, column: 0 },
      });
      leave(need, "used only inside a kernel macro's expansion, a compile-time trap gcc drops");
      continue;
    }
    if (!loc.found && !loc.ambiguous && isCompileTimeTrap(ctx, need)) {
      sink.report({
        code: "KLP-W004",
        severity: "warning",
        message: `function ${need.name} (used by ${closure.neededBy.get(need.name) ?? need.via}) is declared by a kernel header but defined nowhere in the running kernel: the kernel links without it, so its uses are dead code gcc drops (a compile-time trap); if gcc keeps one, fixup refuses the module`,
        location: { file: ctx.markerToRel.get(need.decl.file) ?? need.decl.file, line: need.decl.line, column: 0 },
      });
      leave(need, "declared by a kernel header, defined nowhere: a compile-time trap gcc drops");
      continue;
    }
    const folded = !loc.found && !loc.ambiguous && definedHere ? foldedStaticReason(ctx, need, new Set([...closure.copiedFunctions, ...closure.patched])) : undefined;
    if (folded) {
      uses.push({ name: need.name, what: need.what, object, isStatic: true, decision: { kind: "copy" }, reason: folded, placement });
      continue;
    }
    if (!loc.found) {
      const isVar = need.what === "variable";
      const decision: Decision = {
        kind: "refuse",
        code: loc.ambiguous ? "KLP-E014" : isVar ? "KLP-E012" : "KLP-E013",
        message: `${need.what} ${need.name} (used by ${closure.neededBy.get(need.name) ?? need.via}) is not exported and cannot be located: ${loc.why}`,
        locations: [{ file: ctx.markerToRel.get(need.decl.file) ?? need.decl.file, line: need.decl.line, column: 0 }],
        hint: isVar ? "a variable is never copied; check that --symbols is the running kernel's symbol table" : "check --symbols; a function without a symbol cannot be called from a module",
      };
      reportRefusal(decision, sink);
      uses.push({ name: need.name, what: need.what, object, isStatic: need.isStatic, decision, reason: loc.why, placement });
      continue;
    }
    const kind = need.isStatic ? `static ${need.what}` : `non-exported ${need.what}`;
    uses.push({
      name: need.name,
      what: need.what,
      object,
      isStatic: need.isStatic,
      decision: { kind: "externalize", sympos: loc.sympos, resolution: resolutionOf(opts.mode, object) },
      reason: `${kind} '${loc.symbol.address} ${loc.symbol.type} ${need.name}' (${loc.how})${need.viaHeaderInline ? `, used by header inline ${need.viaHeaderInline}` : ""}`,
      placement,
    });
  }
  return uses;
}

/** True unless the source of function `user` (in the .c file or a local header) is known and does not spell `name`. */
function spelledIn(ctx: DecideOptions["ctx"], user: string, name: string): boolean {
  const files = [ctx.main, ...ctx.localHeaders.values()];
  for (const f of files) {
    const item = f.items.find((i) => i.kind === "function" && i.name === user);
    if (item) return new RegExp(`\\b${name.replace(/\$/g, "\\$")}\\b`).test(f.text.slice(item.start, item.end));
  }
  // A function a SYSCALL_DEFINEn call generates: its source is the macro call.
  const call = macroDefinedFunctions(ctx.main).find((g) => generatedFunctionNames(g).includes(user));
  if (call) return new RegExp(`\\b${name.replace(/\$/g, "\\$")}\\b`).test(call.text);
  return true;
}

/**
 * kallsyms mode looks a vmlinux symbol up once at init; a module's symbols when
 * that module loads, since it may load after the livepatch (or again later).
 */
function resolutionOf(mode: DecideOptions["mode"], object: string): Resolution {
  if (mode === "klp-reloc") return { kind: "klp-relocation" };
  return object === "vmlinux" ? { kind: "init-lookup" } : { kind: "module-load-lookup", module: object };
}

/** vmlinux unless only a module has the name. */
function objectOf(symbols: SymbolTable, name: string): string {
  const all = symbols.byName.get(name) ?? [];
  if (all.length === 0 || all.some((s) => s.module === undefined)) return "vmlinux";
  return all[0]!.module!;
}

/**
 * No symbol table (--functions mode): a non-static name is taken as reachable
 * by name; static state is still never copied, it needs externalization.
 */
function withoutSymbolTable(need: SymbolNeed, object: string, placement: SymbolUse["placement"], mode: DecideOptions["mode"]): SymbolUse {
  if (!need.isStatic) {
    return { name: need.name, what: need.what, object, isStatic: false, decision: { kind: "reference", exportedBy: "(assumed: no --symbols)" }, reason: "non-static: reachable by name (no --symbols given)", placement };
  }
  return { name: need.name, what: need.what, object, isStatic: true, decision: { kind: "externalize", sympos: 0, resolution: resolutionOf(mode, object) }, reason: `static ${need.what}: never copied, needs externalization (sympos unknown without --symbols)`, placement };
}

/** Module.symvers names a module by its path (net/netfilter/nf_conntrack); klp objects by KBUILD_MODNAME. */
function isExportOf(exportingModule: string, object: string): boolean {
  return object !== "vmlinux" && exportingModule.replace(/^.*\//, "").replace(/-/g, "_") === object;
}
