import { existsSync, mkdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { DiagnosticSink, StageFailed } from "../diagnostics/diagnostic.js";
import { CODES, type CodeInfo } from "../diagnostics/codes.js";
import { printDiagnostic, printProgress } from "./print.js";
import { extract, extractFunctions } from "../pipeline.js";
import { EXIT_OK, exitCodeFor } from "./exit-codes.js";
import { checkOutput, checkOutputPlace, writeOutput } from "./write-output.js";
import { writeWhole } from "../util/write-whole.js";
import { exampleOptions } from "./example.js";
import { checkOutOutsideSrc } from "./out-outside-src.js";
import { runKernels } from "./kernels.js";
import { timed, type StageTimer } from "../timings.js";
import { PASS_NAMES, type ExtractPass } from "../passes.js";

interface ExtractFlags {
  /** Every --patch, in order (applied one after the other). */
  patch?: string[];
  src?: string;
  build?: string;
  symbols?: string;
  symvers?: string;
  ipaClones?: string;
  modules?: string;
  externalize: "kallsyms" | "klp-reloc";
  name?: string;
  preprocessed?: string;
  out?: string;
  forceOverwrite?: boolean;
  force?: string[];
  example?: boolean;
  quiet?: boolean;
  timings?: boolean;
  json?: boolean;
  /** commander's --no-cache makes this false; --cache-dir sets a string. */
  cache?: boolean;
  cacheDir?: string;
  /** --cache-size in MiB, as given (checked by usageProblem). */
  cacheSize?: string;
  verify?: boolean;
  kernels?: string;
  functions?: string;
  compileCommands?: string;
  file?: string;
  outputClosureOnly?: boolean;
  eachFunction?: boolean;
  /** --jobs: TU analyses at once (a fix over several TUs). */
  jobs?: number;
  dumpStage?: ExtractPass;
}

export function extractCommand(setExit: (code: number) => void): Command {
  return new Command("extract")
    .description("write a livepatch module (NAME.c, Kbuild, report.json) for a kernel fix")
    .option("--patch <file>", "the fix, as a unified diff (again for more diffs, applied in order)", (file: string, earlier?: string[]) => [...(earlier ?? []), file])
    .option("--src <dir>", "kernel source tree the fix applies to (never modified)")
    .option("--build <dir>", "configured kbuild output tree (make O=...) holding the TU's .<obj>.cmd")
    .option("--symbols <file>", "the running kernel's /proc/kallsyms dump or System.map")
    .option("--symvers <file>", "the kernel's Module.symvers")
    .option("--ipa-clones <dir>", "where <path>.c.000i.ipa-clones dumps are (default: --build)")
    .option("--modules <dir>", "the kernel's modules tree, for a target module --symbols lacks (default: /lib/modules/<release of --build>)")
    .addOption(new Option("--externalize <mode>", "how non-exported symbols are reached").choices(["kallsyms", "klp-reloc"]).default("kallsyms"))
    .option("--preprocessed <file.i>", "use this preprocessed patched TU (gcc -E -dD -dI) instead of compiling in --build")
    .option("--name <name>", "module name (default: livepatch_<patch file stem>)")
    .option("--out <dir>", "output directory (must not exist or be empty)")
    .option("--force-overwrite", "replace a non-empty output directory")
    .option("--force <code...>", "accept the named safety errors (e.g. KLP-E023) as warnings")
    .option("--example", "run on the bundled example in examples/ (writes to --out or out/example)")
    .option("-q, --quiet", "print only errors")
    .option("--timings", "print the wall time of each stage to stderr")
    .option("--jobs <n>", "analyse up to n TUs of a fix at once, on worker threads (default: the number of cores; 1: one after the other)", jobsValue)
    .option("--cache-dir <dir>", "where compile answers, symbol-table indexes, a TU's headers and source outlines are kept between runs (default: $XDG_CACHE_HOME/klp-ccp or ~/.cache/klp-ccp)")
    .option("--cache-size <MiB>", `the most --cache-dir keeps; the least recently used entries go first (default: ${DEFAULT_CACHE_MIB})`)
    .option("--no-cache", "check the #includes with the compiler on every run")
    .option("--verify", "compile the whole generated module as a check and compare its copies with the kernel's functions (the default)")
    .option("--no-verify", "compile only the module's #include section (a failure is a warning): for those who know why")
    .option("--json", "print report.json (or the diagnostics) on stdout instead of a summary")
    .addOption(new Option("--dump-stage <pass>", "print this pass's output as JSON on stdout and stop after it (nothing is written; --out not needed)").choices(PASS_NAMES))
    .option("--kernels <kernels.json>", "one livepatch per kernel build listed in the file, in --out/<id>/, in parallel")
    .option("--functions <names>", "instead of --patch: carve out these functions (comma-separated) of one TU")
    .option("--compile-commands <file>", "with --functions: find the TU's command in this compile_commands.json (needs --file)")
    .option("--file <file.c>", "with --functions: the .c file (for --compile-commands or --build)")
    .option("--output-closure-only", "with --functions: write only the carved-out C (to --out FILE, or stdout)")
    .option("--each-function", "with --functions: one closure per function, as --out DIR/<function>.c (--functions '*' = every non-inline function)")
    .argument("[command...]", "with --functions: the TU's exact compile command, after --")
    .action(async (command: string[], flags: ExtractFlags) => {
      const usage = usageProblem(command, flags);
      if (usage) {
        process.stderr.write(`error KLP-E019: ${usage}\n  hint: see \`klp-ccp extract --help\`\n`);
        return setExit(2);
      }
      if (flags.functions) return setExit(runFunctions(flags, command));
      if (flags.kernels) {
        if (flags.patch?.length !== 1 || !flags.out) {
          process.stderr.write("error KLP-E019: --kernels needs one --patch and --out\n");
          return setExit(2);
        }
        const extra = ["--externalize", flags.externalize, ...(flags.force ?? []).flatMap((c) => ["--force", c]), ...(flags.forceOverwrite ? ["--force-overwrite"] : []), ...(flags.verify === false ? ["--no-verify"] : []), ...(flags.name ? ["--name", flags.name] : []), ...(flags.modules ? ["--modules", flags.modules] : []), ...(flags.cache === false ? ["--no-cache"] : flags.cacheDir ? ["--cache-dir", resolve(flags.cacheDir)] : []), ...(flags.cacheSize ? ["--cache-size", flags.cacheSize] : [])];
        return setExit(await runKernels(flags.kernels, flags.patch[0]!, flags.out, extra, Boolean(flags.json)));
      }
      setExit(await runExtract(flags));
    });
}

async function runExtract(flags: ExtractFlags): Promise<number> {
  const timings = flags.timings ? new StageTimings() : undefined;
  try {
    return await runExtractTimed(flags, timings);
  } finally {
    timings?.print();
  }
}

async function runExtractTimed(flags: ExtractFlags, timings: StageTimings | undefined): Promise<number> {
  const sink = new DiagnosticSink(new Set(flags.force ?? []));
  const opts: ExtractFlags = flags.example ? { ...exampleOptions(), externalize: flags.externalize, ...(flags.name ? { name: flags.name } : {}) } : flags;
  const out = flags.out ?? (flags.example ? "out/example" : undefined);
  const required = opts.preprocessed ? (["patch", "src", "symbols", "symvers"] as const) : (["patch", "src", "build", "symbols", "symvers"] as const);
  const missing = required.filter((k) => !opts[k]);
  if (missing.length || (!out && !flags.dumpStage)) {
    const names = [...missing.map((m) => `--${m}`), ...(out || flags.dumpStage ? [] : ["--out"])];
    sink.report({ code: "KLP-E019", severity: "error", message: `missing required option(s): ${names.join(", ")}`, hint: "see `klp-ccp extract --help`, or try `klp-ccp extract --example`" });
    return finish(sink, flags);
  }
  if (opts.name !== undefined && !/^[A-Za-z_][A-Za-z0-9_-]{0,54}$/.test(opts.name)) {
    sink.report({ code: "KLP-E019", severity: "error", message: `--name ${JSON.stringify(opts.name)} is not a module name`, hint: "at most 55 letters, digits, _ or - (kbuild turns - into _), not starting with a digit, e.g. livepatch_cve_2024_1234" });
    return finish(sink, flags);
  }
  if (opts.name !== undefined) opts.name = opts.name.replace(/-/g, "_");
  // Before any work: a run that cannot write its result should not make it first.
  // --example's own output directory is replaced on a rerun (never another directory: see checkOutput).
  const overwrite = Boolean(flags.forceOverwrite || (flags.example && !flags.out));
  if (!flags.dumpStage && (!checkOutOutsideSrc(out!, opts.src!, sink) || !checkOutput(out!, overwrite, sink))) return finish(sink, flags);
  try {
    const [patch, ...morePatches] = opts.patch!;
    const result = await extract({ patch: patch!, ...(morePatches.length ? { morePatches } : {}), src: opts.src!, build: opts.build ?? opts.src!, ...(opts.preprocessed ? { preprocessed: opts.preprocessed } : {}), symbols: opts.symbols!, symvers: opts.symvers!, externalize: opts.externalize, ...(opts.ipaClones ? { ipaClones: opts.ipaClones } : {}), ...(opts.modules ? { modules: opts.modules } : {}), ...(opts.name ? { name: opts.name } : {}), ...(timings ? { timer: timings.timer } : {}), ...cacheOptions(flags), ...(flags.verify === false ? { verify: false } : {}), ...(flags.jobs ? { jobs: flags.jobs } : {}), ...(flags.quiet || flags.json ? {} : { progress: printProgress }), ...(flags.dumpStage ? { dumpStage: flags.dumpStage } : {}) }, sink);
    if ("pass" in result) {
      process.stdout.write(`${JSON.stringify(result.output, null, 2)}\n`);
      return finish(sink, flags);
    }
    if (!timed(timings?.timer, "write output", () => writeOutput(out!, result.files, overwrite, sink))) return finish(sink, flags);
    if (flags.json) process.stdout.write(`${JSON.stringify(result.report, null, 2)}\n`);
    else if (!flags.quiet) {
      const r = result.report;
      process.stdout.write(
        `wrote ${[...result.files.keys()].filter((f) => f.endsWith(".c")).map((f) => `${out}/${f}`).join(", ")}, ${out}/Kbuild, ${out}/patched_funcs.csv, ${out}/report.json\n` +
          `  patched:      ${r.patched.map((p) => (p.sympos ? `${p.function},${p.sympos}` : p.function)).join(", ")}\n` +
          `  externalized: ${r.externalized.map((e) => e.symbol).join(", ") || "-"}\n` +
          `  copied:       ${r.copied.join(", ") || "-"}\n`,
      );
    }
  } catch (e) {
    if (!(e instanceof StageFailed)) throw e;
  }
  return finish(sink, flags);
}

/** --jobs: a whole number of TUs at once. */
function jobsValue(value: string): number {
  if (!/^[1-9][0-9]{0,2}$/.test(value)) throw new InvalidArgumentError("a number of TUs at once, 1 to 999");
  return Number(value);
}

/**
 * --cache-size's default: a kernel TU's kept headers are 40-150 MB (its PCH
 * most of it), every other entry is small (the include-check answers, the
 * tables' indexes and the source outlines of a dozen TUs: ~15 MB), so about
 * the ten TUs used last keep their headers.
 */
const DEFAULT_CACHE_MIB = 1024;

/** The cache: --cache-dir, else the user's cache directory, bounded by --cache-size; none with --no-cache. */
function cacheOptions(flags: ExtractFlags): { cacheDir?: string; cacheSize?: number } {
  if (flags.cache === false) return {};
  const cacheSize = Number(flags.cacheSize ?? DEFAULT_CACHE_MIB) * 2 ** 20;
  if (flags.cacheDir) return { cacheDir: flags.cacheDir, cacheSize };
  const base = process.env.XDG_CACHE_HOME || (process.env.HOME ? join(process.env.HOME, ".cache") : undefined);
  return base ? { cacheDir: join(base, "klp-ccp"), cacheSize } : {};
}

function runFunctions(flags: ExtractFlags, command: string[]): number {
  const sink = new DiagnosticSink(new Set(flags.force ?? []));
  if (flags.patch) {
    sink.report({ code: "KLP-E019", severity: "error", message: "--functions and --patch exclude each other" });
    return finish(sink, flags);
  }
  if (!flags.out && (!flags.outputClosureOnly || flags.eachFunction)) {
    sink.report({ code: "KLP-E019", severity: "error", message: "missing --out (a directory; or --output-closure-only to print the C)" });
    return finish(sink, flags);
  }
  if (flags.out && flags.src && !checkOutOutsideSrc(flags.out, flags.src, sink)) return finish(sink, flags);
  const outIsDir = flags.out && existsSync(flags.out) ? statSync(flags.out).isDirectory() : undefined;
  if (flags.out && outIsDir !== undefined && outIsDir === Boolean(flags.outputClosureOnly && !flags.eachFunction)) {
    sink.report({ code: "KLP-E016", severity: "error", message: `--out ${flags.out} is ${outIsDir ? "a directory; --output-closure-only writes one file" : "a file; a directory is needed"}`, hint: "choose another --out" });
    return finish(sink, flags);
  }
  if (flags.out && !flags.outputClosureOnly && !flags.eachFunction && !checkOutput(flags.out, Boolean(flags.forceOverwrite), sink)) return finish(sink, flags);
  if (flags.out && (flags.outputClosureOnly || flags.eachFunction) && !checkOutputPlace(flags.out, sink)) return finish(sink, flags);
  try {
    const functions = flags.functions!.split(",").map((f) => f.trim()).filter(Boolean);
    const result = extractFunctions({
      functions, command, externalize: flags.externalize, closureOnly: Boolean(flags.outputClosureOnly || flags.eachFunction), each: Boolean(flags.eachFunction), ...(flags.verify === false ? { verify: false } : {}),
      ...pick(flags, ["compileCommands", "file", "src", "build", "symbols", "symvers", "ipaClones", "name"]),
    }, sink);
    if (result.kind === "each") return writeEach(result.each, flags.out!, flags);
    if (result.kind === "closure") {
      if (flags.out) writeWhole(flags.out, result.closure);
      else process.stdout.write(result.closure);
    } else {
      if (!writeOutput(flags.out!, result.files, Boolean(flags.forceOverwrite), sink)) return finish(sink, flags);
      if (flags.json) process.stdout.write(`${JSON.stringify(result.report, null, 2)}\n`);
      else if (!flags.quiet) process.stdout.write(`wrote ${flags.out}/${result.plan.name}.c, ${flags.out}/Kbuild, ${flags.out}/report.json\n`);
    }
  } catch (e) {
    if (!(e instanceof StageFailed)) throw e;
  }
  return finish(sink, flags);
}

/** --each-function: OUT/<function>.c per function, and one line per failure. */
function writeEach(each: Array<{ name: string; closure?: string; sink: DiagnosticSink }>, out: string, flags: ExtractFlags): number {
  mkdirSync(out, { recursive: true });
  let worst = EXIT_OK;
  for (const r of each) {
    if (r.closure !== undefined) writeWhole(join(out, `${r.name}.c`), r.closure);
    else {
      const first = r.sink.errors()[0];
      if (first) printDiagnostic(first, `${r.name}: `);
      else process.stderr.write(`${r.name}: failed\n`);
      worst = Math.max(worst, exitCodeFor(r.sink.items));
    }
  }
  if (!flags.quiet) process.stdout.write(`wrote ${each.filter((r) => r.closure !== undefined).length} of ${each.length} closures to ${out}/\n`);
  return worst;
}

function pick<K extends keyof ExtractFlags>(flags: ExtractFlags, keys: K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const k of keys) if (typeof flags[k] === "string") out[k] = flags[k] as string;
  return out;
}

/** Options that would be silently ignored: a usage error instead. */
function usageProblem(command: string[], flags: ExtractFlags): string | undefined {
  if (!flags.functions && command.length) return `unexpected argument(s) ${command.join(" ")} (a compile command after -- is only for --functions)`;
  if (flags.dumpStage && (flags.functions || flags.kernels)) return "--dump-stage is for a --patch run (the passes of extract), not --functions or --kernels";
  if (flags.example && (flags.patch || flags.src || flags.build || flags.symbols || flags.symvers || flags.preprocessed)) return "--example brings its own inputs: leave out --patch, --src, --build, --symbols, --symvers and --preprocessed";
  const unknown = (flags.force ?? []).filter((c) => !(c in CODES) || !c.startsWith("KLP-E"));
  if (unknown.length) return `--force ${unknown.join(" ")}: not an error code of klp-ccp (see the README's table of diagnostic codes)`;
  const fixed = (flags.force ?? []).filter((c) => (CODES as Record<string, CodeInfo>)[c]?.forceable === false);
  if (fixed.length) return `--force ${fixed.join(" ")}: this error cannot be accepted (see the README's table of diagnostic codes)`;
  if (flags.cacheSize !== undefined && !/^\d+$/.test(flags.cacheSize)) return `--cache-size ${flags.cacheSize}: not a whole number of MiB`;
  return undefined;
}

function finish(sink: DiagnosticSink, flags: ExtractFlags): number {
  for (const d of sink.items) {
    if (flags.quiet && d.severity !== "error" && !(CODES as Record<string, CodeInfo>)[d.code]?.loud) continue;
    printDiagnostic(d);
  }
  // --json promises machine-readable output: a failed run gives its diagnostics.
  if (flags.json && sink.hasErrors) process.stdout.write(`${JSON.stringify({ diagnostics: sink.items }, null, 2)}\n`);
  return sink.hasErrors ? exitCodeFor(sink.items) : EXIT_OK;
}

/** Adds up stage times (in the order stages first end) and prints them to stderr. */
class StageTimings {
  /** Milliseconds from process start to the extract command (node, module loading). */
  private readonly startup = performance.now();
  private readonly stages = new Map<string, number>();
  readonly timer: StageTimer = (stage, ms) => {
    this.stages.set(stage, (this.stages.get(stage) ?? 0) + ms);
  };

  print(): void {
    const rows: Array<[string, number]> = [["startup", this.startup], ...this.stages, ["total", performance.now()]];
    const width = Math.max(...rows.map(([s]) => s.length));
    process.stderr.write(`timings (wall ms; the preprocessor runs in the background from "apply patch" to "preprocess", which is the wait for it):\n${rows.map(([s, ms]) => `  ${s.padEnd(width)} ${ms.toFixed(1).padStart(8)}\n`).join("")}`);
  }
}
