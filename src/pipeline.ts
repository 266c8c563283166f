import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { DiagnosticSink, StageFailed } from "./diagnostics/diagnostic.js";
import type { LivepatchPlan } from "./model/plan.js";
import { readPatch } from "./input/diff.js";
import { readSymbolTable } from "./input/kallsyms.js";
import { readSymvers } from "./input/symvers.js";
import { fileStamp, indexEntryPath, type IndexCacheRef } from "./input/index-cache.js";
import { readAhead } from "./util/read-ahead.js";
import type { StatMemo } from "./kbuild/deps.js";
import { diskOutlineStore } from "./input/outline-store.js";
import { applyPatch } from "./kbuild/apply-patch.js";
import { analyseEachFunction, analyseFunctions, analyseTu, sourceFileOf } from "./analyse-tu.js";
import { startPreprocess, type StartedPreprocess } from "./start-preprocess.js";
import type { CompileCommand } from "./model/input.js";
import { commandFromArgv, findInCompileCommands } from "./kbuild/compile-command.js";
import { buildReport, type Report } from "./decide/report.js";
import { renderClosure, renderIncludeCheck, renderLivepatch } from "./render/render.js";
import { trialCompile } from "./kbuild/trial-compile.js";
import { timed, timedAsync, type StageTimer } from "./timings.js";

export interface ExtractOptions {
  patch: string;
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
   * Where include-check results (see trialCompile) and the symbol tables'
   * indexes (see index-cache.ts) are kept between runs; undefined: no cache.
   */
  cacheDir?: string;
  /** Also compile the whole generated module (-fsyntax-only) and warn (KLP-W008) when it fails. */
  verify?: boolean;
  /** Receives each stage's wall time (`--timings`); stages do not print. */
  timer?: StageTimer;
  /** Told before each step that may take more than a second (the CLI prints it). */
  progress?: (message: string) => void;
}

export interface ExtractResult {
  plan: LivepatchPlan;
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
  const src = resolve(opts.src);
  const build = resolve(opts.build);
  for (const [flag, path, dir] of [["--patch", opts.patch, false], ["--src", src, true], ...(opts.preprocessed ? ([["--preprocessed", opts.preprocessed, false]] as const) : ([["--build", build, true]] as const)), ["--symbols", opts.symbols, false], ["--symvers", opts.symvers, false], ...(opts.ipaClones ? ([["--ipa-clones", opts.ipaClones, true]] as const) : [])] as const) {
    if (!existsSync(path) || statSync(path).isDirectory() !== dir) {
      sink.report({ code: "KLP-E004", severity: "error", message: `${flag} ${path}: ${existsSync(path) ? (dir ? "not a directory" : "is a directory") : "no such " + (dir ? "directory" : "file")}`, hint: `check the value of ${flag}` });
    }
  }
  if (opts.modules && !(existsSync(opts.modules) && statSync(opts.modules).isDirectory())) {
    sink.report({ code: "KLP-E004", severity: "error", message: `--modules ${opts.modules}: ${existsSync(opts.modules) ? "not a directory" : "no such directory"}`, hint: "pass the kernel's modules tree, e.g. /lib/modules/$(uname -r)" });
  }
  if (sink.hasErrors) throw new StageFailed("input");

  const { timer } = opts;
  const tablesAhead = [readTableAhead(opts.symbols, "kallsyms", opts.cacheDir), readTableAhead(opts.symvers, "symvers", opts.cacheDir)] as const;
  const patchText = readFileSync(opts.patch, "utf8");
  const patch = timed(timer, "read inputs", () => readPatch(opts.patch, patchText, sink));
  const work = mkdtempSync(join(tmpdir(), "klp-ccp-"));
  let started: StartedPreprocess | undefined;
  // The header cache and the include check's cache ask about the same headers.
  const stats: StatMemo = new Map();
  try {
    // The patch is applied and the TU's preprocessing started before the symbol tables are
    // read, so that the compiler runs meanwhile; what they report waits for its turn.
    const early = new DiagnosticSink();
    const patched = patch && !sink.hasErrors ? timed(timer, "apply patch", () => applyPatch(patch, patchText, src, join(work, "tree"), early)) : undefined;
    if (patch && patched) started = timed(timer, "start preprocess", () => startPreprocess({ patch, patched, src, build, work, stats, ...(opts.preprocessed ? { preprocessed: opts.preprocessed } : {}), ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}) }));
    const [symbolsAhead, symversAhead] = await timedAsync(timer, "read inputs", () => Promise.all(tablesAhead));
    const symbols = timed(timer, "read inputs", () => readTable(opts.symbols, readSymbolTable, sink, opts.cacheDir, symbolsAhead));
    const exports = timed(timer, "read inputs", () => readTable(opts.symvers, readSymvers, sink, opts.cacheDir, symversAhead));
    if (!patch || sink.hasErrors) throw new StageFailed("input");
    for (const d of early.items) sink.report(d);
    if (!patched) throw new StageFailed("apply");
    const name = opts.name ?? moduleName(opts.patch);
    // The kept headers, read ahead meanwhile.
    if (started) await timedAsync(timer, "start preprocess", () => started!.ready());
    const plan = analyseTu({ patch, patched, src, build, work, symbols, exports, ipaDir: resolve(opts.ipaClones ?? build), mode: opts.externalize, name, sink, modulesDirs: modulesDirs(opts.modules, build, opts.symvers), ...(timer ? { timer } : {}), ...(opts.cacheDir ? { outlines: diskOutlineStore(opts.cacheDir)! } : {}), ...(opts.progress ? { progress: opts.progress } : {}), ...(opts.preprocessed ? { preprocessed: opts.preprocessed } : {}), ...(started ? { started } : {}) });
    timed(timer, "include check", () => dropBreakingIncludes(plan, sink, opts, stats));
    if (opts.verify) timed(timer, "verify", () => verifyModule(plan, sink, opts));
    const report = timed(timer, "render", () => buildReport(plan));
    const files = timed(timer, "render", () => renderLivepatch(plan, report));
    timed(timer, "keep headers", () => started?.keepHeaders());
    return { plan, report, files };
  } finally {
    started?.cancel();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Reads a symbol table file with its reader, through the index cache when there is one. */
function readTable<T>(file: string, reader: (file: string, bytes: Buffer, sink: DiagnosticSink, cache: IndexCacheRef) => T, sink: DiagnosticSink, cacheDir: string | undefined, ahead?: TableRead): T {
  const stamp = ahead?.stamp ?? fileStamp(file); // before reading: a change while it is read must not be kept as valid
  return reader(file, ahead?.bytes ?? readFileSync(file), sink, { dir: cacheDir, stamp, entry: ahead?.entry });
}

/** A symbol table and its index entry as read ahead, with the table's stamp from before. */
interface TableRead {
  stamp: string;
  bytes: Buffer | undefined;
  entry: Buffer | undefined;
}

/** Reads a table and its index entry on the thread pool; both reads start, and the stamp is taken, before the first await. */
async function readTableAhead(file: string, kind: string, cacheDir: string | undefined): Promise<TableRead> {
  const stamp = fileStamp(file);
  const bytes = readAhead(file);
  const entry = cacheDir ? readAhead(indexEntryPath(cacheDir, kind, file)) : undefined;
  return { stamp, bytes: await bytes, entry: await entry };
}

/**
 * Compiles the module's preamble and #includes alone as a module would be
 * (-DMODULE, syntax only) with the TU's command: some kernel headers hide
 * content from modules (asm/tlbflush.h is `#ifndef MODULE`, which breaks
 * asm/tlb.h). When it fails inside headers that only an include nothing
 * patched needs brings in, that include is left out and the check repeats.
 * The text depends only on the TU's includes, so the cache answers it for
 * every later fix to the same TU.
 */
function dropBreakingIncludes(plan: LivepatchPlan, sink: DiagnosticSink, opts: { cacheDir?: string; progress?: (m: string) => void }, stats: StatMemo): void {
  if (!plan.compile) return;
  const compile = plan.compile;
  for (let round = 0; round < 8; round++) {
    const r = trialCompile(compile, renderIncludeCheck(plan), opts.cacheDir, () => opts.progress?.("checking the #includes as a module (-DMODULE -fsyntax-only)"), stats);
    if (r.ok) return;
    const culprit = plan.includes.find((p) => p.include && !p.include.needed && !p.include.dropped && p.include.files.some((f) => r.errorFiles.includes(resolve(compile.cwd, f))));
    if (!culprit) {
      sink.report({ code: "KLP-W008", severity: "warning", message: `the livepatch's #includes fail to compile as a module: ${r.firstError}`, location: { file: `${plan.name}.c`, line: 0, column: 0 }, hint: "the module build will show the full error; please report it with the patch" });
      return;
    }
    culprit.include!.dropped = true;
  }
}

/** --verify: the whole generated module, compiled syntax-only as a module; a failure is KLP-W008. */
function verifyModule(plan: LivepatchPlan, sink: DiagnosticSink, opts: { progress?: (m: string) => void }): void {
  if (!plan.compile) return;
  opts.progress?.("verifying: compiling the livepatch as a module (-DMODULE -fsyntax-only)");
  const r = trialCompile(plan.compile, renderLivepatch(plan, buildReport(plan)).get(`${plan.name}.c`)!);
  if (!r.ok) sink.report({ code: "KLP-W008", severity: "warning", message: `a trial compile of the livepatch as a module fails: ${r.firstError}`, location: { file: `${plan.name}.c`, line: 0, column: 0 }, hint: "the module build will show the full error; please report it with the patch" });
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
  const report = buildReport(plan);
  if (opts.closureOnly) return { kind: "closure", closure: renderClosure(plan), report };
  return { kind: "module", plan, report, files: renderLivepatch(plan, report) };
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
