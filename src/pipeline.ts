import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { DiagnosticSink, StageFailed } from "./diagnostics/diagnostic.js";
import type { LivepatchPlan } from "./model/plan.js";
import type { PatchSet } from "./model/input.js";
import { asInputError, unreadableReason } from "./util/readable.js";
import { readPatches } from "./input/patches.js";
import { readSymbolTable } from "./input/kallsyms.js";
import { readSymvers } from "./input/symvers.js";
import type { CacheDir } from "./model/cache.js";
import { openCacheDir } from "./cache/open-cache-dir.js";
import { cachePath } from "./cache/cache-files.js";
import { evictLeastRecent } from "./cache/evict.js";
import { fileStamp, indexEntryPath, type IndexCacheRef } from "./input/index-cache.js";
import { readAhead } from "./util/read-ahead.js";
import type { StatMemo } from "./cache/file-stamps.js";
import { diskOutlineStore } from "./input/outline-store.js";
import { applyPatches } from "./kbuild/apply-patch.js";
import { squashSeries } from "./kbuild/squash-series.js";
import { checkFileChanges } from "./decide/file-changes.js";
import { analyseEachFunction, analyseFunctions, analyseTu, sourceFileOf, tuFilesOf } from "./analyse-tu.js";
import { partKeys, tuKey, type LivepatchSet, type TuPart } from "./model/livepatch-set.js";
import { buildSetReport } from "./decide/set-report.js";
import { refuseDuplicateFunctions, reportCrossTuCalls } from "./decide/cross-tu.js";
import { analyseHeaderUsers, planHeaderFix } from "./header-fix.js";
import { checkModule, checkSet } from "./check-livepatch.js";
import { startPreprocess, type StartedPreprocess } from "./start-preprocess.js";
import type { CompileCommand } from "./model/input.js";
import { commandFromArgv, findInCompileCommands } from "./kbuild/compile-command.js";
import { buildReport } from "./decide/report.js";
import type { Report } from "./model/report.js";
import { renderClosure, renderLivepatch, renderLivepatchSet } from "./render/render.js";
import { timed, timedAsync, type StageTimer } from "./timings.js";
import { makeScratchDir } from "./util/scratch-dir.js";

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
 * The orchestrator: read inputs → apply the patch to a scratch copy →
 * per touched TU (preprocess, parse, resolve, closure, IPA targets, decide)
 * → render. Bad input ends in StageFailed with diagnostics in the sink.
 * Asynchronous only to let the thread pool read the symbol tables and the
 * kept headers while the patch is applied and the preprocessor started
 * (readAhead).
 */
export async function extract(opts: ExtractOptions, sink: DiagnosticSink): Promise<ExtractResult> {
  try {
    return await extractReadable(opts, sink);
  } catch (e) {
    throw asInputError(e, sink);
  }
}

async function extractReadable(opts: ExtractOptions, sink: DiagnosticSink): Promise<ExtractResult> {
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

async function extractWith(opts: ExtractOptions, cache: CacheDir | undefined, sink: DiagnosticSink): Promise<ExtractResult> {
  const { src, build, timer } = opts;
  const tablesAhead = [readTableAhead(opts.symbols, "kallsyms", cache), readTableAhead(opts.symvers, "symvers", cache)] as const;
  const patches = timed(timer, "read inputs", () => readPatches([opts.patch, ...(opts.morePatches ?? [])], sink));
  const patch = patches?.all;
  const cPaths = [...new Set(patch?.files.map((f) => f.path).filter((p) => p.endsWith(".c")))];
  if (opts.preprocessed && cPaths.length > 1) {
    sink.report({ code: "KLP-E019", severity: "error", message: `--preprocessed gives one TU, and the fix changes ${cPaths.length} .c files (${cPaths.join(", ")})`, location: { file: opts.patch, line: 0, column: 0 }, hint: "pass --build instead: every TU is preprocessed with its own kbuild command" });
    throw new StageFailed("input");
  }
  if (patch) checkFileChanges({ patch, sink });
  const work = makeScratchDir("work");
  // Each TU's preprocessing, started at once: the compilers run side by side.
  const starts = new Map<string, StartedPreprocess>();
  // The header cache and the include check's cache ask about the same headers.
  const stats: StatMemo = new Map();
  try {
    // The patch is applied and the TUs' preprocessing started before the symbol tables are
    // read, so that the compiler runs meanwhile; what they report waits for its turn.
    const early = new DiagnosticSink();
    const patched = patches && !sink.hasErrors && patchedFilesReadable(patches.all, src, early) ? timed(timer, "apply patch", () => applyPatches(patches.each, src, join(work, "tree"), early)) : undefined;
    if (patch && patched) {
      timed(timer, "start preprocess", () => {
        for (const relPath of cPaths) {
          const started = startPreprocess({ relPath, patched, src, build, work, stats, ...(opts.preprocessed ? { preprocessed: opts.preprocessed } : {}), ...(cache ? { cacheDir: cache } : {}) });
          if (started) starts.set(relPath, started);
        }
      });
    }
    const [symbolsAhead, symversAhead] = await timedAsync(timer, "read inputs", () => Promise.all(tablesAhead));
    const symbols = timed(timer, "read inputs", () => readTable(opts.symbols, readSymbolTable, sink, cache, symbolsAhead));
    const exports = timed(timer, "read inputs", () => readTable(opts.symvers, readSymvers, sink, cache, symversAhead));
    if (!patch || sink.hasErrors) throw new StageFailed("input");
    for (const d of early.items) sink.report(d);
    if (!patched) throw new StageFailed("apply");
    const name = opts.name ?? moduleName(opts.patch);
    const ipaDir = resolve(opts.ipaClones ?? build);
    // A file changed by several diffs of a series: one diff of it from here on.
    const fix = squashSeries({ patch, src, tree: join(work, "tree"), sink });
    const headerFix = planHeaderFix({ patch: fix, patched, src, build, ipaDir, work, sink, ...(timer ? { timer } : {}), ...(opts.progress ? { progress: opts.progress } : {}) });
    const relPaths = headerFix ? [] : tuFilesOf({ patch: fix, src, build, ipaDir, sink, ...(timer ? { timer } : {}) });
    const common = { patch: fix, patched, src, build, work, symbols, exports, ipaDir, mode: opts.externalize, sink, modulesDirs: modulesDirs(opts.modules, build, opts.symvers), ...(timer ? { timer } : {}), ...(cache ? { outlines: diskOutlineStore(cache)! } : {}), ...(opts.progress ? { progress: opts.progress } : {}), ...(opts.preprocessed ? { preprocessed: opts.preprocessed } : {}) };
    const keys = partKeys(relPaths);
    const parts: TuPart[] = headerFix ? analyseHeaderUsers({ ...common, name, fix: headerFix, title: fix.subject ?? fix.file.replace(/^.*\//, "") }) : [];
    // One TU after the other in this process (their compilers already ran in parallel).
    for (const [i, relPath] of relPaths.entries()) {
      const started = starts.get(relPath);
      // The kept headers, read ahead meanwhile.
      if (started) await timedAsync(timer, "start preprocess", () => started.ready());
      const plan = analyseTu({ ...common, relPath, name: relPaths.length > 1 ? `${name}_${keys[i]!}` : name, ...(started ? { started } : {}) });
      parts.push({ relPath, key: keys[i]!, plan });
    }
    refuseDuplicateFunctions({ parts, sink });
    if (sink.hasErrors) throw new StageFailed("assemble");
    reportCrossTuCalls({ parts, sink });
    const first = parts[0]!.plan;
    const set: LivepatchSet = { name, mode: opts.externalize, title: first.title, kernel: first.kernel, parts };
    timed(timer, "compile check", () => checkSet({ set, sink, src, work, stats, cache, ...(opts.verify === false ? { verify: false } : {}), ...(opts.progress ? { progress: opts.progress } : {}) }));
    const report = timed(timer, "render", () => buildSetReport(set, sink.items));
    const files = timed(timer, "render", () => renderLivepatchSet(set, report));
    timed(timer, "keep headers", () => {
      for (const s of starts.values()) s.keepHeaders();
    });
    return { plan: first, set, report, files };
  } finally {
    for (const s of starts.values()) s.cancel();
    rmSync(work, { recursive: true, force: true });
  }
}


/** Whether every file of --src the patch changes can be read (one outside --src is applyPatch's to refuse). */
function patchedFilesReadable(patch: PatchSet, src: string, sink: DiagnosticSink): boolean {
  for (const f of patch.files) {
    const file = resolve(src, f.path);
    if (relative(src, file).startsWith("..") || !existsSync(file)) continue;
    const problem = unreadableReason(file, "file");
    if (problem) sink.report({ code: "KLP-E004", severity: "error", message: `the patch changes ${f.path}, which cannot be read in --src: ${problem}`, location: f.hunks[0]?.location ?? { file: patch.file, line: 0, column: 0 }, hint: "make the kernel tree readable by the user running klp-ccp" });
  }
  return !sink.hasErrors;
}

/**
 * Reads a symbol table file with its reader, through the index cache when there is one
 * and the file is one the cache can key on (see readTableAhead).
 */
function readTable<T>(file: string, reader: (file: string, bytes: Buffer, sink: DiagnosticSink, cache: IndexCacheRef) => T, sink: DiagnosticSink, cacheDir: CacheDir | undefined, ahead?: TableRead): T {
  const stamp = ahead?.stamp ?? fileStamp(file); // before reading: a change while it is read must not be kept as valid
  const bytes = ahead?.bytes ?? readFileSync(file);
  const keyable = ahead !== undefined && ahead.keyable && ahead.size === bytes.length;
  return reader(file, bytes, sink, { dir: keyable ? cacheDir : undefined, stamp, entry: ahead?.entry });
}

/** A symbol table and its index entry as read ahead, with the table's stamp from before. */
interface TableRead {
  stamp: string;
  bytes: Buffer | undefined;
  entry: Buffer | undefined;
  /** Whether the index cache may key on the stamp: a regular file; not /proc/kallsyms or a pipe, whose size and mtime do not follow their content. */
  keyable: boolean;
  /** The size stat gave before reading: a file read to a different length (procfs says 0) is not keyable either. */
  size: number;
}

/** Reads a table and its index entry on the thread pool; both reads start, and the stamp is taken, before the first await. */
async function readTableAhead(file: string, kind: string, cache: CacheDir | undefined): Promise<TableRead> {
  const stamp = fileStamp(file);
  let keyable = false;
  let size = -1;
  try {
    const st = statSync(file);
    keyable = st.isFile() && st.size > 0;
    size = st.size;
  } catch {
    // read below, which reports why
  }
  const bytes = readAhead(file);
  const entryPath = cache && keyable && cachePath(cache, indexEntryPath(kind, file));
  const entry = entryPath ? readAhead(entryPath, true) : undefined;
  return { stamp, bytes: await bytes, entry: await entry, keyable, size };
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
