import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { DiagnosticSink, StageFailed } from "./diagnostics/diagnostic.js";
import type { CompileCommand, PatchSet } from "./model/input.js";
import type { LivepatchPlan } from "./model/plan.js";
import type { SymbolUse } from "./model/policy.js";
import type { ObjectSymbol } from "./model/input.js";
import type { OutlineStore, SourceFile } from "./model/syntax.js";
import { TranslationUnit } from "./model/tu.js";
import { readCompileCommand, preprocessArgv } from "./kbuild/compile-command.js";
import { run } from "./kbuild/run.js";
import { headersReachingPrivate, isIncludableHeader, readTuIpaClones } from "./input/tu-files.js";
import { incompleteTu } from "./parse/tu-complete.js";
import { outsideConditionals } from "./parse/conditional-depth.js";
import { parsePreprocessed } from "./parse/preprocessed-tu.js";
import { parseSourceFile } from "./parse/source-file.js";
import { addedFunctions, touchedFunctions } from "./resolve/touched.js";
import { definedAtLines } from "./resolve/generated-at.js";
import { ipaTargets } from "./closure/ipa-targets.js";
import { headerChangesReaching } from "./header-reach.js";
import { objectCallers } from "./elf/callers.js";
import { objectSymbols } from "./elf/object-symbols.js";
import { findModuleFile } from "./kbuild/module-file.js";
import { runSafetyChecks } from "./decide/safety-checks.js";
import { refuseChangedHeaders } from "./decide/changed-headers.js";
import { computeClosure, type Closure } from "./closure/closure.js";
import { retargetTracepoints } from "./decide/tracepoints.js";
import { sameLayoutInTu } from "./resolve/layout-in-tu.js";
import { namespaceImports } from "./decide/namespace-imports.js";
import { decideSymbols } from "./decide/decide.js";
import { decidePolicy, planLists, staticCopyRules } from "./decide/policy.js";
import { reportRefusal } from "./decide/refusals.js";
import { assemble } from "./decide/assemble.js";
import { checkIbt } from "./decide/ibt.js";
import { livepatchAddressUses, tuTakesAddress } from "./decide/address-uses.js";
import { readKernelConfig } from "./kbuild/kernel-config.js";
import { dropDeletedFunctions } from "./decide/deleted-functions.js";
import { refuseEmptyLivepatch } from "./decide/empty-livepatch.js";
import { timed, type StageTimer } from "./timings.js";
import { preprocessFailed, type Preprocessed, type TuInputs } from "./tu-inputs.js";
import { nonInlineFunctions, usedByOf } from "./tu-names.js";
import { compareText } from "./util/compare.js";
import { originalFunctions } from "./verify/originals.js";

/** A path with a `.`, `..` or empty segment (what path.relative would normalize). */
const NOT_NORMAL = /\/\.{1,2}(?:\/|$)|\/\//;

export interface AnalyseOptions extends TuInputs {
  patch: PatchSet;
  patched: Map<string, string>;
  work: string;
  /** Waits for the TU's preprocessing, already under way (startPreprocess()); without it loadTu preprocesses. */
  preprocessing?: () => Preprocessed;
  /** A fix that changes headers too: their changed inlines, which the TU's part replaces where they reach its kernel functions (with `overlay`). */
  headerChanges?: Array<{ name: string; why: string }>;
}

/**
 * The TUs a fix changes (its .c files, in patch order), after refusing what
 * cannot be livepatched: a changed header klp-ccp cannot follow (KLP-E069
 * with its users) and a .c file changed by several diffs that squashSeries
 * could not make one (a file that is neither C source nor header was refused
 * by readFix). Throws StageFailed when one was refused.
 */
export function tuFilesOf(o: { patch: PatchSet; src: string; build: string; ipaDir: string; sink: DiagnosticSink; timer?: StageTimer }): string[] {
  const { sink } = o;
  const cFiles = o.patch.files.filter((f) => f.path.endsWith(".c"));
  const others = o.patch.files.filter((x) => !x.path.endsWith(".c"));
  const headers = others.filter((f) => f.path.endsWith(".h")).map((f) => ({ path: f.path, location: f.hunks[0]!.location }));
  if (headers.length > 0) timed(o.timer, "read inputs", () => refuseChangedHeaders({ headers, src: o.src, build: o.build, ipaDir: o.ipaDir, sink }));
  if (sink.hasErrors) throw new StageFailed("analyse"); // not when --force KLP-E020 made them warnings
  const seen = new Set<string>();
  for (const f of cFiles) {
    if (seen.has(f.path)) sink.report({ code: "KLP-E020", severity: "error", message: `the patch changes ${f.path} in ${cFiles.filter((x) => x.path === f.path).length} separate diffs (a patch series)`, location: f.hunks[0]?.location ?? { file: o.patch.file, line: 0, column: 0 }, hint: "squash the series into one diff of the file (git diff FIRST^ LAST)" });
    seen.add(f.path);
  }
  if (sink.hasErrors || cFiles.length === 0) throw new StageFailed("analyse");
  return [...seen];
}

/** Patch mode, per TU (one .c file of the fix, relPath): preprocess → parse → touched functions → plan. */
export function analyseTu(o: AnalyseOptions & { relPath: string }): LivepatchPlan {
  const { sink } = o;
  const fp = o.patch.files.find((f) => f.path === o.relPath)!;
  const ctx = loadTu(o, fp.path, join(o.work, "tree", fp.path), o.patched.get(fp.path)!, o.preprocessing);
  // A changed definition the TU lacks is compiled out by the configuration, unless no #if
  // encloses it: then the preprocessed text is not all of this file (cut short, or another file's).
  const unconditional: Array<{ name: string; line: number }> = [];
  const isLive = (name: string, from: number, to: number) => {
    const live = (ctx.tu.decls.get(name) ?? []).some((d) => d.kind === "function" && ctx.homeOf(d) === "main" && d.line >= from && d.line <= to);
    if (!live && outsideConditionals(ctx.main.text, from)) unconditional.push({ name, line: from });
    return live;
  };
  const touchedSink = new DiagnosticSink(sink.forcedCodes);
  const touched = timed(o.timer, "resolve", () => touchedFunctions(fp, ctx.main, ctx.original, touchedSink, isLive, definedAtLines(ctx), sameLayoutInTu(ctx)));
  if (unconditional.length) {
    const [first] = unconditional;
    sink.report({ code: "KLP-E006", severity: "error", message: `the preprocessed TU has no definition of ${first!.name}, which ${fp.path}:${first!.line} defines outside any #if: it is cut short or not made from the patched ${fp.path}`, location: { file: o.preprocessed ?? fp.path, line: 0, column: 0 }, hint: o.preprocessed ? "preprocess the PATCHED file again with the TU's own command plus -E -dD -dI" : "check that --build was configured for this --src" });
    throw new StageFailed("touched");
  }
  for (const d of touchedSink.items) sink.report(d);
  if (sink.hasErrors) throw new StageFailed("touched");
  const fromHeaders = o.headerChanges ? headerChangesReaching(ctx, o.headerChanges, touched, o.symbols) : [];
  if (touched.length === 0 && fromHeaders.length === 0) {
    const cosmetic = fp.hunks.every((h) => h.cosmetic) || !sink.items.some((d) => d.code === "KLP-W001");
    sink.report(cosmetic
      ? { code: "KLP-E011", severity: "error", message: "nothing to patch: the patch changes only comments or whitespace", location: fp.hunks[0]!.location }
      : { code: "KLP-E010", severity: "error", message: "the patch changes no function", location: fp.hunks[0]!.location, hint: "data, macro and declaration changes cannot be live-patched by replacing functions" });
    throw new StageFailed("touched");
  }
  const changed = dropDeletedFunctions({ changed: touched, original: ctx.original, patched: ctx.main, sink });
  if (sink.hasErrors) throw new StageFailed("touched");
  const title = o.patch.subject ?? o.patch.file.replace(/^.*\//, "");
  return planTu(o, ctx, [...changed, ...fromHeaders], title, true);
}

/**
 * --functions mode: the named functions of one TU, as they are (no patch).
 * Every name must be a function defined in the file.
 */
export function analyseFunctions(o: TuInputs, relPath: string, functions: string[]): LivepatchPlan {
  const file = o.command ? sourceFileOf(o.command, o.src) : join(o.src, relPath);
  const ctx = loadTu(o, relPath, file, readFileSync(file, "utf8"));
  const defined = new Set(ctx.main.items.filter((i) => i.kind === "function").map((i) => i.name));
  for (const fn of functions) {
    if (!defined.has(fn)) {
      o.sink.report({ code: "KLP-E027", severity: "error", message: `${relPath} defines no function ${fn}`, location: { file: relPath, line: 0, column: 0 }, hint: `functions of the file: ${[...defined].slice(0, 12).join(", ")}${defined.size > 12 ? ", ..." : ""}` });
    }
  }
  if (o.sink.hasErrors) throw new StageFailed("functions");
  const changed = functions.map((name) => ({ name, why: "named with --functions", hunk: { file: relPath, line: 0, column: 0 } }));
  return planTu(o, ctx, changed, `${functions.join(", ")} of ${relPath}`, false);
}

/**
 * --functions with one closure per function (the compile checks of whole
 * TUs): the TU is preprocessed and parsed once; each function gets its own
 * sink, and one that fails does not stop the others.
 */
export function analyseEachFunction(o: TuInputs, relPath: string, functions: string[], newSink: () => DiagnosticSink): Array<{ name: string; plan?: LivepatchPlan; sink: DiagnosticSink }> {
  const file = o.command ? sourceFileOf(o.command, o.src) : join(o.src, relPath);
  const ctx = loadTu(o, relPath, file, readFileSync(file, "utf8"));
  const names = functions.length === 1 && functions[0] === "*" ? nonInlineFunctions(ctx) : functions;
  return names.map((name) => {
    const sink = newSink();
    try {
      const plan = planTu({ ...o, sink }, ctx, [{ name, why: "named with --functions" }], `${name} of ${relPath}`, false);
      return { name, plan, sink };
    } catch (e) {
      if (!(e instanceof StageFailed)) throw e;
      return { name, sink };
    }
  });
}

/** The shared half: IPA targets → (safety) → closure → decide → assemble. */
export function planTu(o: TuInputs, ctx: TranslationUnit, changed: Array<{ name: string; why: string; constTables?: string[] }>, title: string, isPatch: boolean): LivepatchPlan {
  const { sink, timer } = o;
  const why = new Map(changed.map((c) => [c.name, c.why]));
  const names = changed.map((c) => c.name);
  const patchedFns = timed(timer, "ipa targets", () =>
    o.symbols
      ? ipaTargets({ ctx, changed: names, why: (fn) => why.get(fn) ?? "changed by the patch", symbols: o.symbols, sink, ...(ctx.objectFile ? { objectCallers: objectCallers(ctx.objectFile) } : {}) })
      : names.map((n) => ({ name: n, sourceName: n, object: ctx.object, sympos: 0, reason: `${n} ${why.get(n)} (no --symbols: assumed to exist, unique)` })),
  );
  timed(timer, "resolve", () => runSafetyChecks("targets", { ctx, isPatch, changed: names, patched: patchedFns }, sink));
  if (sink.hasErrors) throw new StageFailed("ipa");
  if (!o.keepNames) refuseEmptyLivepatch(patchedFns, changed, ctx.relPath, sink);

  const added = isPatch ? addedFunctions(ctx.main, ctx.original) : new Set<string>();
  const copyRules = staticCopyRules(ctx, o.symbols, added);
  // Tracepoint inlines are copied to call their iterator, not the static call: in kallsyms mode,
  // and in klp-reloc mode for a module, whose relocations come after the livepatch's own jump
  // labels and static calls were set up (they would never see the module's key). A driver's
  // private trace header's inlines too: the closure walks them as header code. Else only trace_X_rcuidle (not in module builds).
  const retarget = !o.keepNames && (o.mode === "kallsyms" || ctx.object !== "vmlinux");
  const found = timed(timer, "closure", () => computeClosure({ ctx, patched: patchedFns.map((p) => p.sourceName), ...copyRules, privateTraceInlines: retarget, addedByPatch: added, changedTables: new Set(changed.flatMap((c) => c.constTables ?? [])), sink }));
  runSafetyChecks("closure", { ctx, isPatch, closure: found, added }, sink);
  const traced = o.keepNames ? undefined : retargetTracepoints({ ctx, closure: found, moduleLacksOnly: !retarget });
  const closure = traced?.closure ?? found;
  const decided = timed(timer, "decide", () => decideSymbols({ ctx, closure, exports: o.exports, ...(o.symbols ? { symbols: o.symbols } : {}), mode: o.mode, keepNames: Boolean(o.keepNames), sink }));
  const uses = timed(timer, "decide", () => ibtChecked(o, ctx, closure, decided));
  if (sink.hasErrors) throw new StageFailed("decide");
  const policy = timed(timer, "decide", () => decidePolicy({ ctx, closure, uses, mode: o.mode, keepNames: Boolean(o.keepNames), ...(traced ? { tracepoints: traced.tracepoints } : {}), ...(o.overlay ? { changedInlines: names } : {}) }));
  const pieces = timed(timer, "decide", () => assemble({ ctx, closure, patched: patchedFns, policy, mode: o.mode, keepNames: Boolean(o.keepNames), ...(traced ? { tracepoints: traced.tracepoints } : {}), ...(o.overlay ? { changedInlines: names } : {}) }));
  for (const r of pieces.refusals) reportRefusal(r, sink);
  runSafetyChecks("assembled", { ctx, mode: o.mode, uses, body: pieces.body }, sink);
  if (sink.hasErrors) throw new StageFailed("assemble");
  // A function whose text was not found (KLP-E028 accepted with --force) has no klpp_ code to register.
  const emitted = patchedFns.filter((p) => policy.decisions.get(p.sourceName)?.kind !== "refuse");
  if (!o.keepNames) refuseEmptyLivepatch(emitted, changed, ctx.relPath, sink);
  // Within the stages above: tree-sitter parses of the few top-level pieces of the .i they used.
  timer?.("tree-sitter (lazy)", ctx.tu.stats.parseMs);

  const lists = planLists(policy);
  const release = join(o.build, "include/config/kernel.release");
  const kernel = existsSync(release) ? readFileSync(release, "utf8").trim() : "unknown";
  return {
    name: o.name, mode: o.mode, title, kernel,
    preamble: pieces.preamble, includes: pieces.includes, body: [...pieces.body, ...namespaceImports(ctx)], syscallWrappers: pieces.syscallWrappers,
    patched: emitted,
    externalized: lists.externalized,
    referenced: lists.referenced,
    copied: [...closure.copiedFunctions].sort(),
    copiedData: lists.copiedData,
    usedBy: usedByOf(closure),
    decisions: Object.fromEntries([...policy.decisions].sort(([a], [b]) => compareText(a, b))),
    diagnostics: sink.items,
    ...(ctx.compileFlags && ctx.compileCwd ? { compile: { argv: ctx.compileFlags, cwd: ctx.compileCwd } } : {}),
    originals: originalFunctions(ctx, [...closure.patched, ...closure.copiedFunctions], pieces.body.map((p) => p.text)),
  };
}

/** checkIbt() with what it needs from the TU: the livepatch's address uses, the kernel's. */
function ibtChecked(o: TuInputs, ctx: TranslationUnit, closure: Closure, uses: SymbolUse[]): SymbolUse[] {
  const config = readKernelConfig(o.build);
  if (config?.ibtLine === undefined) return uses;
  const fns = new Set(uses.filter((u) => u.what === "function" && u.decision.kind === "externalize").map((u) => u.name));
  const own = new Set([...closure.patched, ...closure.copiedFunctions]);
  const usedAt = (name: string) => {
    const user = closure.symbols.get(name)?.via ?? closure.neededBy.get(name) ?? "";
    const item = ctx.main.items.find((i) => i.kind === "function" && i.name === user);
    return { file: ctx.relPath, line: item?.startLine ?? 0, column: item ? 1 : 0 };
  };
  return checkIbt({ config, mode: o.mode, uses, addressUses: livepatchAddressUses(ctx, own, fns), kernelTakesAddress: (n) => tuTakesAddress(ctx, n, closure.patched), usedAt, sink: o.sink });
}

/**
 * A target module missing from the symbol table: its symbols from its .ko in
 * the modules tree, or from the TU's compiled object, which knows only the
 * TU's own symbols.
 */
function readModuleSymbols(o: TuInputs, module: string, objectFile: string | undefined, readObject: (file: string) => ObjectSymbol[] | undefined): TranslationUnit["moduleSymbols"] {
  for (const dir of o.modulesDirs ?? []) {
    const ko = findModuleFile(dir, module);
    const symbols = ko ? objectSymbols(ko, module) : undefined;
    if (ko && symbols) return { file: ko, symbols, wholeModule: true };
  }
  // The same read locate's placement uses, done once.
  const symbols = objectFile ? readObject(objectFile)?.map((s) => ({ ...s, module })) : undefined;
  return objectFile && symbols ? { file: objectFile, symbols, wholeModule: false } : undefined;
}

/** Preprocesses and parses the TU whose main file is `mainPath` (holding `mainText`). */
export function loadTu(o: TuInputs, relPath: string, mainPath: string, mainText: string, preprocessing?: () => Preprocessed): TranslationUnit {
  const { sink, timer } = o;
  // The source files first: a started preprocessor runs meanwhile. The original first, so that
  // the patched file is made from its items (only the span the patch changed is parsed again).
  const originalPath = join(o.src, relPath);
  const outlines = o.outlines ? { outlines: o.outlines } : {};
  const separate = existsSync(originalPath) && originalPath !== mainPath ? timed(timer, "parse sources", () => parseSourceFile(relPath, readFileSync(originalPath, "utf8"), outlines)) : undefined;
  const main = timed(timer, "parse sources", () => parseSourceFile(relPath, mainText, separate ? { after: separate } : outlines));
  const original = separate ?? main;
  o.progress?.(`preprocessing and indexing ${relPath}`);
  const pre = timed(timer, "preprocess", () => (preprocessing ? preprocessing() : preprocess(o, relPath, mainPath)));
  const tu = timed(timer, "parse", () => pre.tu ?? parsePreprocessed(pre.text));
  const markerToRel = new Map<string, string>();
  const localHeaders = new Map<string, SourceFile>();
  for (const f of tu.files) {
    if (f === mainPath || f === relPath) markerToRel.set(f, relPath);
    else if (o.overlay && f.startsWith(`${o.overlay.dir}/`)) {
      const rel = f.slice(o.overlay.dir.length + 1);
      markerToRel.set(f, rel);
      // A directory's own header the fix changes: copied from like the .c file, patched.
      if (!isIncludableHeader(rel) && o.overlay.headers.has(rel)) localHeaders.set(rel, parseSourceFile(rel, o.overlay.headers.get(rel)!));
    }
    else if (f.startsWith(`${o.src}/`) || (!f.startsWith("/") && !f.startsWith("<") && !f.startsWith("./") && existsSync(join(o.src, f)))) {
      // relative() normalizes; most markers need no normalizing (no `.`, `..` or empty
      // segment), and a TU names ~1000 files.
      const rel = !f.startsWith("/") ? f : NOT_NORMAL.test(f) ? relative(o.src, f) : f.slice(o.src.length + 1);
      markerToRel.set(f, rel);
      // Not only .h: a driver's `#include "tables.inc"` is in no headers package either.
      if (!isIncludableHeader(rel) && !rel.endsWith(".c") && statSync(join(o.src, rel), { throwIfNoEntry: false })?.isFile()) localHeaders.set(rel, timed(timer, "parse sources", () => parseSourceFile(rel, readFileSync(join(o.src, rel), "utf8"), outlines)));
    } else {
      // A file the build tree made beside the object (wanxl.c's "wanxlfw.inc", found through
      // kbuild's -I of the object's directory) is in no headers package either: copied from too.
      const built = builtPrivateFile(f, pre.cwd ?? o.build);
      if (built && !localHeaders.has(built.rel)) {
        markerToRel.set(f, built.rel);
        localHeaders.set(built.rel, timed(timer, "parse sources", () => parseSourceFile(built.rel, readFileSync(built.path, "utf8"), outlines)));
      }
    }
  }
  // Each header's text read once: the #include test may ask about it again as the set grows, and a
  // header that reaches a private one is parsed from the same text.
  const texts = new Map<string, string | undefined>();
  const textOf = (rel: string) => {
    if (!texts.has(rel)) texts.set(rel, existsSync(join(o.src, rel)) ? readFileSync(join(o.src, rel), "utf8") : undefined);
    return texts.get(rel);
  };
  const namesLiterally = (from: string, to: string) => {
    const base = to.slice(to.lastIndexOf("/") + 1).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`^[ \\t]*#[ \\t]*include[ \\t]*["<][^">\\n]*\\b${base}[">]`, "m").test(textOf(from) ?? "");
  };
  for (const rel of headersReachingPrivate(tu.includeTree, (f) => markerToRel.get(f), (r) => localHeaders.has(r), namesLiterally)) {
    const text = textOf(rel);
    if (text !== undefined) localHeaders.set(rel, timed(timer, "parse sources", () => parseSourceFile(rel, text, outlines)));
  }
  const ipa = timed(timer, "read inputs", () => readTuIpaClones(o.ipaDir, relPath, o.src, sink));
  if (!ipa.found && o.symbols) {
    sink.report({ code: "KLP-W002", severity: "warning", message: `no IPA clone dump ${relPath}.000i.ipa-clones under ${o.ipaDir}: inlining and clones of the changed functions are unknown`, location: { file: relPath, line: 0, column: 0 }, hint: "compile the TU with KCFLAGS=-fdump-ipa-clones" });
  }
  const builtObject = join(o.build, relPath.replace(/\.c$/, ".o"));
  const objectFile = existsSync(builtObject) ? builtObject : undefined;
  // The object's symbols are read once, for the module's symbols here and for locate's placement later.
  let objectSyms: { symbols: ObjectSymbol[] | undefined } | undefined;
  const readObject = (file: string) => (objectSyms ??= { symbols: objectSymbols(file) }).symbols;
  const moduleSymbols = pre.object !== "vmlinux" && o.symbols && !o.symbols.modules.has(pre.object) ? timed(timer, "read inputs", () => readModuleSymbols(o, pre.object, objectFile, readObject)) : undefined;
  const facts = {
    relPath, main, original, localHeaders, tu, markerToRel,
    object: pre.object,
    ...(moduleSymbols ? { moduleSymbols } : {}),
    ...(objectFile ? { objectFile } : {}),
    ipa: ipa.records, hasIpaDump: ipa.found,
    ...(pre.flags ? { compileFlags: pre.flags } : {}),
    ...(pre.cwd ? { compileCwd: pre.cwd } : {}),
  };
  return new TranslationUnit(facts, { readSource: sourceReader(o.src, o.outlines, o.overlay?.headers), readObjectSymbols: readObject });
}

/**
 * A file of the build tree (a line marker relative to the compile's directory,
 * or under it) that no headers package has: not under include/ or
 * arch/x/include/, not a .c file. Undefined otherwise.
 */
function builtPrivateFile(marker: string, cwd: string): { rel: string; path: string } | undefined {
  if (marker.startsWith("<")) return undefined;
  const path = marker.startsWith("/") ? marker : join(cwd, marker);
  const rel = relative(cwd, path);
  if (rel.startsWith("..") || rel.startsWith("/") || rel.endsWith(".c") || isIncludableHeader(rel) || !statSync(path, { throwIfNoEntry: false })?.isFile()) return undefined;
  return { rel, path };
}

/** The TU's preprocessed text and its klp object, from --preprocessed, an explicit command or the kbuild .cmd. */
function preprocess(o: TuInputs, relPath: string, mainPath: string): Preprocessed {
  const { sink } = o;
  if (o.preprocessed) {
    const text = readFileSync(o.preprocessed, "utf8");
    const incomplete = incompleteTu(text);
    if (incomplete) {
      sink.report({ code: "KLP-E006", severity: "error", message: `--preprocessed ${o.preprocessed} ${incomplete}${incomplete === "is empty" ? "" : ": it is not the whole of gcc's output (cut short?)"}`, location: { file: o.preprocessed, line: 0, column: 0 }, hint: "preprocess the PATCHED file again with the TU's own command plus -E -dD -dI, or pass --build instead" });
      throw new StageFailed("preprocess");
    }
    // Without -dD -dI the .i has no #include or #define lines: the livepatch would lose its includes.
    if (!/^#include /m.test(text) || !/^#define /m.test(text)) {
      sink.report({ code: "KLP-E006", severity: "error", message: `--preprocessed ${o.preprocessed} was not made with -dD -dI (it has no #include/#define lines), so the livepatch's #includes and macros cannot be recovered`, location: { file: o.preprocessed, line: 1, column: 1 }, hint: "preprocess the PATCHED file with the TU's own command plus -E -dD -dI, or pass --build (the make O= tree) instead" });
      throw new StageFailed("preprocess");
    }
    const mod = /^#define KBUILD_MODNAME "([^"]+)"/m.exec(text);
    const isModule = /^#define MODULE 1/m.test(text);
    return { text, object: isModule && mod ? mod[1]! : "vmlinux" };
  }
  const cmd = o.command ?? readCompileCommand(o.build, relPath, sink);
  if (!cmd) throw new StageFailed("kbuild");
  const original = o.command ? sourceFileOf(o.command, o.src) : join(o.src, relPath);
  const pp = run(preprocessArgv(cmd, original, mainPath), cmd.cwd);
  if (pp.status !== 0) preprocessFailed(o, relPath, mainPath, pp.stderr);
  return { text: pp.stdout, object: cmd.isModule && cmd.modName ? cmd.modName : "vmlinux", flags: cmd.argv, cwd: cmd.cwd };
}

/** The .c file an explicit compile command compiles (absolute). */
export function sourceFileOf(cmd: CompileCommand, src: string): string {
  const c = [...cmd.argv].reverse().find((a) => /\.c$/.test(a) && !a.startsWith("-"));
  if (!c) return src;
  return isAbsolute(c) ? c : join(cmd.cwd, c);
}

/** Parses a file of --src (a patched header of a header fix: its patched text); TranslationUnit.loadSource keeps what it gave. */
function sourceReader(src: string, outlines: OutlineStore | undefined, patched?: Map<string, string>): (rel: string) => SourceFile | undefined {
  return (rel) => {
    const path = join(src, rel);
    const text = patched?.get(rel) ?? (existsSync(path) ? readFileSync(path, "utf8") : undefined);
    if (text === undefined) return undefined;
    return parseSourceFile(rel, text, outlines && !patched?.has(rel) ? { outlines } : {});
  };
}
