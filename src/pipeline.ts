import { existsSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { DiagnosticSink, StageFailed } from "./diagnostics/diagnostic.js";
import type { LivepatchPlan } from "./model/plan.js";
import type { CompileCommand, PatchSet } from "./model/input.js";
import { asInputError, unreadableReason } from "./util/readable.js";
import { readSymbolTable } from "./input/kallsyms.js";
import { readSymvers } from "./input/symvers.js";
import type { CacheDir } from "./model/cache.js";
import { openCacheDir } from "./cache/open-cache-dir.js";
import { evictLeastRecent } from "./cache/evict.js";
import type { StatMemo } from "./cache/file-stamps.js";
import { diskOutlineStore } from "./input/outline-store.js";
import { squashSeries } from "./kbuild/squash-series.js";
import { analyseEachFunction, analyseFunctions, sourceFileOf, tuFilesOf } from "./analyse-tu.js";
import { tuKey, type LivepatchSet, type TuPart } from "./model/livepatch-set.js";
import { buildSetReport } from "./decide/set-report.js";
import { refuseDuplicateFunctions, reportCrossTuCalls } from "./decide/cross-tu.js";
import { planHeaderFix, type HeaderFix } from "./header-fix.js";
import { checkModule, checkSet, type CheckSetOptions } from "./check-livepatch.js";
import { TuPool, defaultJobs } from "./tu-pool.js";
import { checkSetInPool, type MergeInto } from "./parallel.js";
import { analyseFixTus, type FixTusOptions } from "./analyse-fix.js";
import { commandFromArgv, findInCompileCommands } from "./kbuild/compile-command.js";
import { buildReport } from "./decide/report.js";
import type { Report } from "./model/report.js";
import { renderClosure, renderLivepatch, renderLivepatchSet } from "./render/render.js";
import { timed, timedAsync, type StageTimer } from "./timings.js";
import { makeScratchDir } from "./util/scratch-dir.js";
import { DumpStop, PassRunner, type ExtractPass, type PassDump } from "./passes.js";
import { applyFix, readFix, type Applied, type Fix, type Started } from "./fix.js";
import { readTables, readTablesAhead, type Tables } from "./read-tables.js";
import { readTable } from "./input/tables.js";

export interface ExtractOptions {
  patch: string;
  /** More patches (--patch given again), applied after `patch` in order: one fix. */
  morePatches?: string[];
  src: string;
  build: string;
  symbols: string;
  symvers: string;
  /** Directory with `<path>.c.000i.ipa-clones` dumps; defaults to the build tree. */
  ipaClones?: string;
  externalize: "kallsyms" | "klp-reloc";
  /** Module name; defaults to livepatch_<patch stem>. */
  name?: string;
  /** The running kernel's modules tree (default /lib/modules/<release of --build>): a target module's own symbols. */
  modules?: string;
  /**
   * The patched TU already preprocessed (gcc -E -dD -dI), instead of running
   * the build tree's compile command: for the bundled example and for users
   * without a configured tree. Relative line-marker paths are taken relative to --src.
   */
  preprocessed?: string;
  /**
   * Where compile answers (see compileModule and trialCompile), the symbol tables'
   * indexes (see index-cache.ts), the TU's headers (kbuild/header-cache.ts)
   * and source outlines are kept between runs; undefined: no cache. Must be
   * the user's own and writable by no one else (KLP-E038, cache/open-cache-dir.ts).
   */
  cacheDir?: string;
  /** The most bytes --cache-dir may keep (--cache-size): after a run that wrote, the least recently used entries go (cache/evict.ts). Undefined: no bound. */
  cacheSize?: number;
  /**
   * false (--no-verify): compile only the #include section, a failure a warning (KLP-W008).
   * Otherwise the whole module is compiled and its copies checked (verifyModule): a failure is an error.
   */
  verify?: boolean;
  /** Receives each stage's wall time (`--timings`); stages do not print. */
  timer?: StageTimer;
  /** Told before each step that may take more than a second (the CLI prints it). */
  progress?: (message: string) => void;
  /** Stop after this pass and give its output (`--dump-stage`): nothing is compiled after it or written. */
  dumpStage?: ExtractPass;
  /** TU analyses at once, on worker threads (tu-pool.ts); default: one per core. 1: all in this thread. */
  jobs?: number;
}

export interface ExtractResult {
  /** The first TU's plan (the only one for a fix of one .c file). */
  plan: LivepatchPlan;
  /** Every TU's plan. */
  set: LivepatchSet;
  report: Report;
  /** Files to write, by name relative to the output directory. */
  files: Map<string, string>;
}

/**
 * The orchestrator: the passes of src/passes.ts in their order (fix → apply
 * → tables → tus → plans → set → report → files), over the fix's list of TUs.
 * A pass that reports an error ends the run in StageFailed (diagnostics in
 * the sink); with `dumpStage` the run stops after that pass and gives its
 * output. Asynchronous to let the thread pool read the symbol tables and
 * the kept headers while the patch is applied and the preprocessors started
 * (readAhead), and for a fix of several TUs to analyse and check them on
 * worker threads (--jobs, tu-pool.ts), merged in order as one thread would.
 */
export async function extract(opts: ExtractOptions, sink: DiagnosticSink): Promise<ExtractResult | PassDump> {
  try {
    return await extractReadable(opts, sink);
  } catch (e) {
    throw asInputError(e, sink);
  }
}

async function extractReadable(opts: ExtractOptions, sink: DiagnosticSink): Promise<ExtractResult | PassDump> {
  const src = resolve(opts.src);
  const build = resolve(opts.build);
  const paths: Array<[string, string | undefined, "file" | "directory"]> = [...[opts.patch, ...(opts.morePatches ?? [])].map((p): [string, string, "file"] => ["--patch", p, "file"]), ["--src", src, "directory"], opts.preprocessed ? ["--preprocessed", opts.preprocessed, "file"] : ["--build", build, "directory"], ["--symbols", opts.symbols, "file"], ["--symvers", opts.symvers, "file"], ["--ipa-clones", opts.ipaClones, "directory"], ["--modules", opts.modules, "directory"]];
  for (const [flag, path, kind] of paths) {
    const problem = path === undefined ? undefined : unreadableReason(path, kind);
    if (problem) sink.report({ code: "KLP-E004", severity: "error", message: `${flag} ${path}: ${problem}`, hint: flag === "--modules" ? "pass the kernel's modules tree, e.g. /lib/modules/$(uname -r)" : `check the value of ${flag}` });
  }
  if (sink.hasErrors) throw new StageFailed("input");
  const cache = opts.cacheDir ? openCacheDir(opts.cacheDir, sink, opts.cacheSize) : undefined;
  try {
    return await extractWith({ ...opts, src, build }, cache, sink);
  } finally {
    if (cache) reportDiscarded(cache, sink);
    if (cache?.wrote) evictLeastRecent(cache);
  }
}

/** One warning for every cache entry this run found damaged (KLP-W011); shown even with -q. */
function reportDiscarded(cache: CacheDir, sink: DiagnosticSink): void {
  const n = cache.discarded.length;
  if (n === 0) return;
  const shown = cache.discarded.slice(0, 3).join(", ") + (n > 3 ? `, and ${n - 3} more` : "");
  sink.report({
    code: "KLP-W011",
    severity: "warning",
    message: `${n} cache entr${n === 1 ? "y" : "ies"} under ${cache.root} failed the integrity check (${shown}): discarded and made again; this run did not use ${n === 1 ? "it" : "them"}`,
    location: { file: cache.root, line: 0, column: 0 },
    hint: "nothing to do unless it repeats: then check the disk, or whether something else writes into --cache-dir",
  });
}

async function extractWith(opts: ExtractOptions, cache: CacheDir | undefined, sink: DiagnosticSink): Promise<ExtractResult | PassDump> {
  const { src, build, timer } = opts;
  const passes = new PassRunner(opts.dumpStage);
  const tablesAhead = readTablesAhead({ symbols: opts.symbols, symvers: opts.symvers, cache });
  const work = makeScratchDir("work");
  // Each TU's preprocessing, started by the apply pass: the compilers run side by side, and while the tables are read.
  const started: Started = new Map();
  // The header cache and the include check's cache ask about the same headers.
  const stats: StatMemo = new Map();
  const ipaDir = resolve(opts.ipaClones ?? build);
  const dirs = modulesDirs(opts.modules, build, opts.symvers);
  // A fix of several TUs: their analyses and checks on worker threads, opened by the apply pass (or the plans pass for a header's users).
  const threads: { pool?: TuPool | undefined; tables?: Tables } = {};
  const openPool = (applied: Applied, tus: number) => (threads.pool ??= opts.preprocessed ? undefined : TuPool.open({ setup: { src, build, work, ...applied, symbols: opts.symbols, symvers: opts.symvers, ipaDir, mode: opts.externalize, modulesDirs: dirs, ...(cache ? { cacheRoot: cache.root } : {}), forced: [...sink.forcedCodes], timings: Boolean(timer), progress: Boolean(opts.progress) }, jobs: opts.jobs ?? defaultJobs(), tus, cache, tables: () => threads.tables, progress: opts.progress }));
  let done = false;
  try {
    const fix = passes.end("fix", timed(timer, "read inputs", () => readFix({ patches: [opts.patch, ...(opts.morePatches ?? [])], ...(opts.preprocessed ? { preprocessed: opts.preprocessed } : {}), sink })), (f) => ({ patch: f.patches.all, tus: f.tus }));
    const applied = passes.end("apply", applyFix({ fix, src, build, work, stats, started, sink, openPool, ...(opts.preprocessed ? { preprocessed: opts.preprocessed } : {}), ...(cache ? { cache } : {}), ...(timer ? { timer } : {}) }), (a) => a.patched);
    const { patched } = applied;
    const ahead = await timedAsync(timer, "read inputs", () => tablesAhead);
    const tables = passes.end("tables", timed(timer, "read inputs", () => readTables({ symbols: opts.symbols, symvers: opts.symvers, cache, ahead, sink })), (t) => ({ symbols: { file: t.symbols.file, modules: t.symbols.modules }, exports: [...t.exports.keys()].length }));
    threads.tables = tables;
    if (sink.hasErrors) throw new StageFailed("input");
    const name = opts.name ?? moduleName(opts.patch);
    const tus = passes.end("tus", planTus({ fix, patched, src, build, ipaDir, work, sink, ...(timer ? { timer } : {}), ...(opts.progress ? { progress: opts.progress } : {}) }), (t) => ({ patch: t.patch, relPaths: t.relPaths, ...(t.headerFix ? { headerFix: t.headerFix } : {}) }));
    const common = { patch: tus.patch, patched, src, build, work, symbols: tables.symbols, exports: tables.exports, ipaDir, mode: opts.externalize, sink, name, modulesDirs: dirs, ...(timer ? { timer } : {}), ...(cache ? { outlines: diskOutlineStore(cache)! } : {}), ...(opts.progress ? { progress: opts.progress } : {}), ...(opts.preprocessed ? { preprocessed: opts.preprocessed } : {}) };
    const merge: MergeInto = { sink, timer, cache };
    const parts = passes.end("plans", await analyseTus({ common, tus, started, pool: threads.pool, open: (n) => openPool(applied, n), merge }));
    const check = { src, work, stats, cache, ...(opts.verify === false ? { verify: false } : {}), ...(opts.progress ? { progress: opts.progress } : {}) };
    const set = passes.end("set", await assembleSet({ parts, name, mode: opts.externalize, sink, check, pool: threads.pool, merge, ...(timer ? { timer } : {}) }));
    const report = passes.end("report", timed(timer, "render", () => buildSetReport(set, sink.items)));
    const files = passes.end("files", timed(timer, "render", () => renderLivepatchSet(set, report)));
    timed(timer, "keep headers", () => {
      for (const s of started.values()) s.keepHeaders();
    });
    done = true;
    return { plan: set.parts[0]!.plan, set, report, files };
  } catch (e) {
    if (e instanceof DumpStop) return e.dump;
    throw e;
  } finally {
    for (const s of started.values()) s.cancel();
    // The workers keep their TUs' headers (a run that succeeded) before they end.
    if (threads.pool) await threads.pool.close(done);
    rmSync(work, { recursive: true, force: true });
  }
}

/** What the tus pass decides is analysed. */
interface TusPlan {
  /** The fix, one diff per file (a series squashed). */
  patch: PatchSet;
  /** The fix's own TUs to analyse, its .c files (none for a fix of headers only). */
  relPaths: string[];
  /** A fix that changes header inlines: the TUs that include them are analysed too, and the .c files with the changed inlines they run. */
  headerFix?: HeaderFix;
}

/** The tus pass: the series squashed, and a header fix planned or the fix's TUs checked (tuFilesOf). */
function planTus(o: { fix: Fix; patched: Map<string, string>; src: string; build: string; ipaDir: string; work: string; sink: DiagnosticSink; timer?: StageTimer; progress?: (m: string) => void }): TusPlan {
  // A file changed by several diffs of a series: one diff of it from here on.
  const patch = squashSeries({ patch: o.fix.patches.all, src: o.src, tree: join(o.work, "tree"), sink: o.sink });
  const headerFix = planHeaderFix({ ...o, patch });
  if (headerFix && headerFix.cFiles.length === 0) return { patch, relPaths: [], headerFix };
  // With headers, the .c files are the fix's own TUs (refused by tuFilesOf when it is of another shape).
  const relPaths = tuFilesOf({ ...o, patch: headerFix ? { ...patch, files: patch.files.filter((f) => !f.path.endsWith(".h")) } : patch });
  return { patch, relPaths, ...(headerFix ? { headerFix } : {}) };
}

/**
 * The plans pass: each TU analysed (analyseFixTus: the fix's .c files, then a
 * header fix's other users), on the pool's threads where one is open, else one
 * after the other here (each .c file's preprocessing awaited where it was started).
 */
function analyseTus(o: Omit<FixTusOptions, "relPaths" | "headerFix" | "title"> & { tus: TusPlan }): Promise<TuPart[]> {
  const { tus } = o;
  return analyseFixTus({ ...o, relPaths: tus.relPaths, headerFix: tus.headerFix, title: tus.patch.subject ?? tus.patch.file.replace(/^.*\//, "") }).then((r) => r.parts);
}

/** The set pass: the TUs' plans as one livepatch, checked across TUs (KLP-E0xx) and compiled (checkSet; each part on the pool's threads when there is one). */
async function assembleSet(o: { parts: TuPart[]; name: string; mode: ExtractOptions["externalize"]; sink: DiagnosticSink; check: Omit<CheckSetOptions, "set" | "sink">; pool: TuPool | undefined; merge: MergeInto; timer?: StageTimer }): Promise<LivepatchSet> {
  const { parts, sink } = o;
  refuseDuplicateFunctions({ parts, sink });
  if (sink.hasErrors) throw new StageFailed("assemble");
  reportCrossTuCalls({ parts, sink });
  const first = parts[0]!.plan;
  const set: LivepatchSet = { name: o.name, mode: o.mode, title: first.title, kernel: first.kernel, parts };
  const pool = parts.length > 1 ? o.pool : undefined;
  if (pool) await timedAsync(o.timer, "compile check", () => checkSetInPool(pool, set, { ...o.merge, verify: o.check.verify !== false }));
  else timed(o.timer, "compile check", () => checkSet({ ...o.check, set, sink }));
  return set;
}

/**
 * Where the kernel's modules tree may be: --modules; else /lib/modules/RELEASE
 * (RELEASE from the headers tree holding --symvers or from the build tree),
 * and the same path beside an unpacked headers package
 * (ROOT/usr/src/linux-headers-RELEASE/Module.symvers → ROOT/lib/modules/RELEASE).
 */
function modulesDirs(given: string | undefined, build: string, symvers: string): string[] {
  if (given) return [resolve(given)];
  const headers = dirname(resolve(symvers));
  const releases = new Set<string>();
  for (const tree of [headers, build]) {
    const file = join(tree, "include/config/kernel.release");
    if (existsSync(file)) releases.add(readFileSync(file, "utf8").trim());
  }
  const named = /^linux-headers-(.+)$/.exec(basename(headers));
  if (named) releases.add(named[1]!);
  return [...releases].flatMap((r) => [join("/lib/modules", r), resolve(headers, "../../../lib/modules", r)]);
}

/** livepatch_<patch file stem>, made a valid module (and C identifier) name. */
export function moduleName(patchFile: string): string {
  const stem = basename(patchFile).replace(/\.(?:patch|diff)$/, "");
  return `livepatch_${stem}`.replace(/[^A-Za-z0-9_]/g, "_").replace(/_+/g, "_").slice(0, 55);
}

export interface FunctionsOptions {
  /** Functions to carve out, by name. */
  functions: string[];
  /** The TU's compile command (argv), as given after `--`. */
  command?: string[];
  /** compile_commands.json to find the command of `file` in. */
  compileCommands?: string;
  /** The .c file (with --compile-commands, or with --build for its kbuild .cmd). */
  file?: string;
  /** Tree the file belongs to (default: the file's directory). */
  src?: string;
  build?: string;
  symbols?: string;
  symvers?: string;
  ipaClones?: string;
  externalize: "kallsyms" | "klp-reloc";
  name?: string;
  /** Only the carved-out C, no livepatch boilerplate; names kept. */
  closureOnly: boolean;
  /** With closureOnly: one closure per function ("*" = every non-inline function of the file). */
  each?: boolean;
  /** false (--no-verify): see ExtractOptions.verify. */
  verify?: boolean;
  timer?: StageTimer;
}

/**
 * --functions mode: carve named functions out of any C TU, given its exact
 * compile command (argv, compile_commands.json or a kbuild tree). Symbol
 * tables are optional: without them non-static names are reached by name.
 */
export type FunctionsResult =
  /** A livepatch module for the named functions. */
  | ({ kind: "module" } & ExtractResult)
  /** The carved-out C of the named functions, together. */
  | { kind: "closure"; closure: string; report: Report }
  /** One carved-out C per function (--each-function); a failed one has diagnostics instead. */
  | { kind: "each"; each: Array<{ name: string; closure?: string; sink: DiagnosticSink }> };

export function extractFunctions(opts: FunctionsOptions, sink: DiagnosticSink): FunctionsResult {
  try {
    return extractFunctionsReadable(opts, sink);
  } catch (e) {
    throw asInputError(e, sink);
  }
}

function extractFunctionsReadable(opts: FunctionsOptions, sink: DiagnosticSink): FunctionsResult {
  const command = resolveCommand(opts, sink);
  if (!command) throw new StageFailed("input");
  const file = command.kind === "explicit" ? sourceFileOf(command.cmd, process.cwd()) : resolve(opts.file!);
  if (!file.endsWith(".c")) {
    // A C++ (or assembler, Objective-C ...) TU: the closure reads C only.
    const named = command.kind === "explicit" ? [...command.cmd.argv].reverse().find((a) => !a.startsWith("-") && /\.\w+$/.test(a) && a !== command.cmd.argv[0]) : file;
    sink.report({ code: "KLP-E019", severity: "error", message: `--functions carves functions out of C files: ${named ? `${named} is not a .c file` : "the compile command names no .c file"}`, hint: "give the command that compiles a .c file (C++ and other languages are not supported)" });
    throw new StageFailed("input");
  }
  if (!existsSync(file)) {
    sink.report({ code: "KLP-E004", severity: "error", message: `the compiled file ${file} does not exist`, hint: "the compile command must name the .c file" });
    throw new StageFailed("input");
  }
  const src = resolve(opts.src ?? dirname(file));
  const build = resolve(opts.build ?? src);
  for (const [flag, path] of [["--symbols", opts.symbols], ["--symvers", opts.symvers]] as const) {
    if (path && !existsSync(path)) sink.report({ code: "KLP-E004", severity: "error", message: `${flag} ${path}: no such file`, hint: `check the value of ${flag}` });
  }
  if (sink.hasErrors) throw new StageFailed("input");
  const { timer } = opts;
  const symbols = opts.symbols ? timed(timer, "read inputs", () => readTable(opts.symbols!, readSymbolTable, sink, undefined)) : undefined;
  const exports = opts.symvers ? timed(timer, "read inputs", () => readTable(opts.symvers!, readSymvers, sink, undefined)) : new Map();
  if (sink.hasErrors) throw new StageFailed("input");
  const relPath = relative(src, file);
  const name = opts.name ?? moduleName(basename(file, ".c"));
  const inputs = { src, build, exports, ipaDir: resolve(opts.ipaClones ?? build), mode: opts.externalize, name, sink, keepNames: opts.closureOnly, ...(symbols ? { symbols } : {}), ...(command.kind === "explicit" ? { command: command.cmd } : {}), ...(timer ? { timer } : {}) };
  if (opts.each) {
    const each = analyseEachFunction(inputs, relPath, opts.functions, () => new DiagnosticSink(sink.forcedCodes)).map((r) => ({ name: r.name, sink: r.sink, ...(r.plan ? { closure: renderClosure(r.plan) } : {}) }));
    return { kind: "each", each };
  }
  const plan = analyseFunctions(
    { src, build, exports, ipaDir: resolve(opts.ipaClones ?? build), mode: opts.externalize, name, sink, keepNames: opts.closureOnly, ...(symbols ? { symbols } : {}), ...(command.kind === "explicit" ? { command: command.cmd } : {}), ...(timer ? { timer } : {}) },
    relPath,
    opts.functions,
  );
  if (opts.closureOnly) return { kind: "closure", closure: renderClosure(plan), report: buildReport(plan) };
  timed(timer, "compile check", () => checkModule(plan, sink, opts, new Map(), { original: file, preprocessed: file }));
  // After the check: an #include it left out shows in the module, and its diagnostics in the report.
  const report = buildReport(plan);
  const set: LivepatchSet = { name: plan.name, mode: plan.mode, title: plan.title, kernel: plan.kernel, parts: [{ relPath, key: tuKey(relPath), plan }] };
  return { kind: "module", plan, set, report, files: renderLivepatch(plan, report) };
}

function resolveCommand(opts: FunctionsOptions, sink: DiagnosticSink): { kind: "explicit"; cmd: CompileCommand } | { kind: "kbuild" } | undefined {
  if (opts.command?.length) return { kind: "explicit", cmd: commandFromArgv(opts.command, process.cwd()) };
  if (opts.compileCommands) {
    const cmd = findInCompileCommands(opts.compileCommands, opts.file, sink);
    return cmd ? { kind: "explicit", cmd } : undefined;
  }
  if (opts.build && opts.file) return { kind: "kbuild" };
  sink.report({ code: "KLP-E019", severity: "error", message: "--functions needs the TU's compile command: after `--`, with --compile-commands FILE --file FILE.c, or with --build BUILD --file FILE.c", hint: "e.g. klp-ccp extract --functions f --output-closure-only -- gcc -O2 -c f.c" });
  return undefined;
}
