import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { type DiagnosticSink, StageFailed } from "./diagnostics/diagnostic.js";
import type { ExportTable, PatchSet, SymbolTable } from "./model/input.js";
import type { LivepatchPlan } from "./model/plan.js";
import type { SourceFile } from "./model/syntax.js";
import type { TuContext } from "./model/tu.js";
import { readCompileCommand, preprocessArgv } from "./kbuild/compile-command.js";
import { run } from "./kbuild/run.js";
import { isIncludableHeader, readTuIpaClones } from "./input/tu-files.js";
import { parsePreprocessed } from "./parse/preprocessed-tu.js";
import { parseSourceFile } from "./parse/source-file.js";
import { touchedFunctions } from "./resolve/touched.js";
import { ipaTargets } from "./closure/ipa-targets.js";
import { checkSafety } from "./decide/safety.js";
import { computeClosure } from "./closure/closure.js";
import { locateTuSymbol } from "./decide/locate.js";
import { decideSymbols } from "./decide/decide.js";
import { assemble } from "./decide/assemble.js";
import { timed, type StageTimer } from "./timings.js";

export interface AnalyseOptions {
  patch: PatchSet;
  patched: Map<string, string>;
  src: string;
  build: string;
  work: string;
  symbols: SymbolTable;
  exports: ExportTable;
  ipaDir: string;
  mode: "kallsyms" | "klp-reloc";
  name: string;
  sink: DiagnosticSink;
  /** A ready .i of the patched TU (skips the compiler). */
  preprocessed?: string;
  /** Receives each stage's wall time (`--timings`). */
  timer?: StageTimer;
}

/** The per-TU half of the pipeline: preprocess → parse → touched → IPA targets → closure → decide → assemble. */
export function analyseTu(o: AnalyseOptions): LivepatchPlan {
  const { sink } = o;
  const cFiles = o.patch.files.filter((f) => f.path.endsWith(".c"));
  for (const f of o.patch.files.filter((x) => !x.path.endsWith(".c"))) {
    sink.report({ code: "KLP-E020", severity: "error", message: `the patch changes ${f.path}, which is not a .c file; changed headers are not supported yet`, location: f.hunks[0]!.location, hint: "patch the .c files that use the header's changed code" });
  }
  if (cFiles.length !== 1) {
    if (cFiles.length > 1) sink.report({ code: "KLP-E020", severity: "error", message: `the patch changes ${cFiles.length} .c files; one TU per livepatch is supported so far`, location: { file: o.patch.file, line: 0, column: 0 }, hint: "split the fix into one patch per .c file" });
    throw new StageFailed("analyse");
  }
  const fp = cFiles[0]!;
  const patchedPath = join(o.work, "tree", fp.path);
  const { timer } = o;
  const pre = timed(timer, "preprocess", () => preprocess(o, fp.path, patchedPath));
  const tu = timed(timer, "parse", () => parsePreprocessed(pre.text));
  const markerToRel = new Map<string, string>();
  const localHeaders = new Map<string, SourceFile>();
  for (const f of tu.files) {
    if (f === patchedPath || f === fp.path) markerToRel.set(f, fp.path);
    else if (f.startsWith(`${o.src}/`) || (!f.startsWith("/") && !f.startsWith("<") && !f.startsWith("./") && existsSync(join(o.src, f)))) {
      const rel = f.startsWith("/") ? relative(o.src, f) : f;
      markerToRel.set(f, rel);
      if (!isIncludableHeader(rel) && rel.endsWith(".h") && existsSync(join(o.src, rel))) localHeaders.set(rel, timed(timer, "parse", () => parseSourceFile(rel, readFileSync(join(o.src, rel), "utf8"))));
    }
  }
  const main = timed(timer, "parse", () => parseSourceFile(fp.path, o.patched.get(fp.path)!));
  const original = timed(timer, "parse", () => parseSourceFile(fp.path, readFileSync(join(o.src, fp.path), "utf8")));
  const ipa = timed(timer, "read inputs", () => readTuIpaClones(o.ipaDir, fp.path, o.src, sink));
  const ctx: TuContext = {
    relPath: fp.path, main, original, localHeaders, tu, markerToRel,
    object: pre.object,
    ipa: ipa.records, hasIpaDump: ipa.found,
    loadSource: sourceLoader(o.src, localHeaders),
  };
  if (!ipa.found) {
    sink.report({ code: "KLP-W002", severity: "warning", message: `no IPA clone dump ${fp.path}.000i.ipa-clones under ${o.ipaDir}: inlining and clones of the changed functions are unknown`, location: { file: fp.path, line: 0, column: 0 }, hint: "compile the TU with KCFLAGS=-fdump-ipa-clones" });
  }

  const changed = timed(timer, "resolve", () => touchedFunctions(fp, main, original, sink));
  if (sink.hasErrors) throw new StageFailed("touched");
  if (changed.length === 0) {
    const cosmetic = fp.hunks.every((h) => h.cosmetic) || !sink.items.some((d) => d.code === "KLP-W001");
    sink.report(cosmetic
      ? { code: "KLP-E011", severity: "error", message: "nothing to patch: the patch changes only comments or whitespace", location: fp.hunks[0]!.location }
      : { code: "KLP-E010", severity: "error", message: "the patch changes no function", location: fp.hunks[0]!.location, hint: "data, macro and declaration changes cannot be live-patched by replacing functions" });
    throw new StageFailed("touched");
  }
  const why = new Map(changed.map((c) => [c.name, c.why]));
  const patchedFns = timed(timer, "ipa targets", () => ipaTargets({ ctx, changed: changed.map((c) => c.name), why: (fn) => why.get(fn) ?? "changed by the patch", symbols: o.symbols, sink }));
  timed(timer, "resolve", () => checkSafety({ original, patched: main, changed: changed.map((c) => c.name), replaced: patchedFns.map((p) => p.sourceName), sink }));
  if (pre.flags && !pre.flags.includes("-flive-patching=inline-clone") && !pre.flags.includes("-flive-patching=inline-only-static")) {
    sink.report({ code: "KLP-W007", severity: "warning", message: `${fp.path} was compiled without -flive-patching: IPA effects the clone dump does not record (ipa-ra, ipa-icf, ipa-pure-const ...) may make callers depend on the old code`, location: { file: fp.path, line: 0, column: 0 } });
  }
  if (sink.hasErrors) throw new StageFailed("ipa");

  const closure = timed(timer, "closure", () => computeClosure({ ctx, patched: patchedFns.map((p) => p.sourceName), hasOwnSymbol: (n) => locateTuSymbol(o.symbols, ctx, n, true).found, sink }));
  const uses = timed(timer, "decide", () => decideSymbols({ ctx, closure, exports: o.exports, symbols: o.symbols, mode: o.mode, sink }));
  if (sink.hasErrors) throw new StageFailed("decide");
  const pieces = timed(timer, "decide", () => assemble({ ctx, closure, patched: patchedFns, uses, mode: o.mode }));
  for (const name of pieces.unrenamable) {
    const u = uses.find((x) => x.name === name)!;
    sink.report({ code: "KLP-E017", severity: "error", message: `${name} (${u.reason}) is reached only through header code the module compiles itself, so the reference cannot be redirected`, location: { file: fp.path, line: 0, column: 0 }, hint: "copy the header inline or macro into the patch by hand, or use --externalize klp-reloc" });
  }
  if (sink.hasErrors) throw new StageFailed("assemble");

  const kernel = existsSync(join(o.build, "include/config/kernel.release")) ? readFileSync(join(o.build, "include/config/kernel.release"), "utf8").trim() : "unknown";
  return {
    name: o.name, mode: o.mode, title: o.patch.subject ?? o.patch.file.replace(/^.*\//, ""), kernel,
    preamble: pieces.preamble, includes: pieces.includes, body: pieces.body,
    patched: patchedFns,
    externalized: uses.filter((u): u is LivepatchPlan["externalized"][number] => u.decision.kind === "externalize"),
    referenced: uses.filter((u) => u.decision.kind === "reference"),
    copied: [...closure.copiedFunctions].sort(),
    usedBy: usedByOf(closure),
    diagnostics: sink.items,
  };
}

/** The patched TU's preprocessed text and its klp object, from --preprocessed or the kbuild command. */
function preprocess(o: AnalyseOptions, relPath: string, patchedPath: string): { text: string; object: string; flags?: string[] } {
  const { sink } = o;
  if (o.preprocessed) {
    const text = readFileSync(o.preprocessed, "utf8");
    const mod = /^#define KBUILD_MODNAME "([^"]+)"/m.exec(text);
    const isModule = /^#define MODULE 1/m.test(text);
    return { text, object: isModule && mod ? mod[1]! : "vmlinux" };
  }
  const cmd = readCompileCommand(o.build, relPath, sink);
  if (!cmd) throw new StageFailed("kbuild");
  const pp = run(preprocessArgv(cmd, join(o.src, relPath), patchedPath), cmd.cwd);
  if (pp.status !== 0) {
    const first = pp.stderr.split("\n").find((l) => /error/.test(l)) ?? pp.stderr.trim().split("\n")[0] ?? "";
    sink.report({ code: "KLP-E006", severity: "error", message: `preprocessing the patched ${relPath} failed: ${first.replace(patchedPath, relPath)}`, location: { file: relPath, line: 0, column: 0 }, hint: "check that --build was configured for this --src" });
    throw new StageFailed("preprocess");
  }
  return { text: pp.stdout, object: cmd.isModule && cmd.modName ? cmd.modName : "vmlinux", flags: cmd.argv };
}

function sourceLoader(src: string, cache: Map<string, SourceFile>): (rel: string) => SourceFile | undefined {
  const more = new Map<string, SourceFile>();
  return (rel) => {
    const hit = cache.get(rel) ?? more.get(rel);
    if (hit) return hit;
    const path = join(src, rel);
    if (!existsSync(path)) return undefined;
    const sf = parseSourceFile(rel, readFileSync(path, "utf8"));
    more.set(rel, sf);
    return sf;
  };
}

/** For explain: the function whose code first needed each copied function, type or symbol. */
function usedByOf(closure: ReturnType<typeof computeClosure>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, by] of closure.neededBy) out[name] = by;
  for (const [name, need] of closure.symbols) out[name] ??= need.via;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}
