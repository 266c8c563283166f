import { cacheKey } from "../cache/layout.js";
import { rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { LivepatchPlan, OriginalFunction } from "../model/plan.js";
import { preprocessArgv } from "../kbuild/compile-command.js";
import { run } from "../kbuild/run.js";
import { parsePreprocessed } from "../parse/preprocessed-tu.js";
import type { StatMemo } from "../cache/file-stamps.js";
import { compileModule, type ModuleCompile } from "../kbuild/module-compile.js";
import { trialCompile } from "../kbuild/trial-compile.js";
import type { CacheDir } from "../model/cache.js";
import { lookupAnswer, storeAnswer } from "../cache/compile-answers.js";
import { checkEquivalence, type EquivalenceCount } from "./check-equivalence.js";
import { originOfLine } from "./module-lines.js";
import { runtimeStaticKeysIn } from "../decide/runtime-static-keys.js";
import { tracepointIteratorsIn } from "../decide/tracepoints.js";
import { makeScratchDir } from "../util/scratch-dir.js";

export interface VerifyOptions {
  plan: LivepatchPlan;
  /** The module source as it would be written now (again after an #include is left out). */
  renderModule: () => string;
  /** The module's preamble and #includes alone (the include check's text). */
  renderIncludes: () => string;
  sink: DiagnosticSink;
  /** The TU's .c file in the source tree and the (patched) copy the TU was preprocessed from: for a second look as a module (see checkEquivalence). */
  source?: { original: string; preprocessed: string };
  /** Where compile answers are kept between runs (see compileModule); undefined: none. */
  cacheDir?: CacheDir;
  stats?: StatMemo;
  progress?: (message: string) => void;
}

/**
 * The proof on every run: the whole generated module is compiled as kbuild
 * will (syntax only, the TU's command, -DMODULE), and every function it
 * copies is compared, preprocessed, with the kernel's (checkEquivalence).
 * When the compile fails inside headers that an include nothing copied needs
 * brings in, the include-by-include check (dropBreakingIncludes) leaves such
 * includes out and the module is compiled again. A module that does not
 * compile is KLP-E042. Without a compile command (--preprocessed) nothing
 * can be compiled: undefined.
 */
export function verifyModule(o: VerifyOptions): EquivalenceCount | undefined {
  const { plan, sink } = o;
  if (!plan.compile) return undefined;
  const fileName = `${plan.name}.c`;
  let text = "";
  let r: ModuleCompile | undefined;
  for (let round = 0; round < 8; round++) {
    text = o.renderModule();
    r = compileModule(plan.compile, fileName, text, o.cacheDir, () => o.progress?.("compiling the livepatch as a module (-DMODULE -fsyntax-only) and checking its copies"), o.stats);
    if (r.ok) break;
    const inHeaders = r.errors.length > 0 && r.errors[0]!.file !== fileName;
    if (!inHeaders || dropBreakingIncludes(o).dropped === 0) break;
  }
  if (!r?.ok) {
    reportCompileFailure(plan, fileName, text, r!, sink);
    return undefined;
  }
  // kbuild's -DKBUILD_MODNAME='"name"' of the TU; the trial compile's own is "klp_ccp_trial" (moduleArgv).
  const modName = [...plan.compile.argv].reverse().find((a) => a.startsWith("-DKBUILD_MODNAME="))?.slice("-DKBUILD_MODNAME=".length);
  const sources = new Set((plan.originals ?? []).map((f) => f.file));
  const expected = [...new Set([...plan.patched.map((p) => p.sourceName), ...plan.copied])];
  // A verdict of "identical" depends on nothing but these texts: kept, a rerun of the same fix tokenizes nothing.
  const key = verdictKey(r.preprocessed, fileName, plan.originals ?? [], expected, modName);
  const kept = o.cacheDir ? lookupAnswer(o.cacheDir, key, undefined, isCount) : undefined;
  if (kept) return kept;
  const errors = sink.errors().length;
  const count = checkEquivalence({
    preprocessed: r.preprocessed,
    fileName,
    originals: plan.originals ?? [],
    expected,
    ...(o.source ? { asModule: () => originalsAsModule(plan, o.source!) } : {}),
    rewrites: {
      isTuFile: (path) => [...sources].some((f) => path === f || path.endsWith(`/${f}`)),
      ...(modName ? { modName: { module: '"klp_ccp_trial"', original: modName } } : {}),
    },
    sink,
  });
  if (o.cacheDir && sink.errors().length === errors) storeAnswer(o.cacheDir, key, count, []);
  return count;
}

/**
 * The cache key of an equivalence verdict. Each original goes in by its file
 * in the tree, not by its path in the run's work directory (a new temporary
 * one every run, which kept the verdict from ever being found again): what
 * the comparison reads of that path (rewrites.isTuFile) is the same for both.
 */
export function verdictKey(preprocessed: string, fileName: string, originals: OriginalFunction[], expected: string[], modName: string | undefined): string {
  return cacheKey("includes", "verdict", VERDICT_VERSION, preprocessed, fileName, originals.map((f) => ({ ...f, markerFile: f.file })), expected, modName);
}

/** Bumped when the rules of equivalence.ts change: an older verdict is then never read. */
const VERDICT_VERSION = "equivalence 7";

/**
 * plan.originals again, from the TU preprocessed as a module would be
 * (-DMODULE): what the kernel's functions mean in a module build, with the
 * livepatch's runtime static key tests where it has them.
 */
function originalsAsModule(plan: LivepatchPlan, source: { original: string; preprocessed: string }): OriginalFunction[] {
  const compile = plan.compile!;
  // Static keys tested at run time (kallsyms mode, decide/runtime-static-keys.ts) are a
  // documented rewrite: the original is read with the same redefinitions, made after
  // jump_label.h (whose include guard then keeps the TU's own #include from undoing them).
  // Copied tracepoint inlines (tracepoints.ts) call the iterator: the original is read with
  // __DO_TRACE_CALL as kernels without static calls define it.
  const keys = runtimeStaticKeysIn(plan.body);
  const iterators = tracepointIteratorsIn(plan.body);
  const scratch = keys || iterators ? makeScratchDir("verify") : undefined;
  const extra: string[] = [];
  if (scratch) {
    const header = join(scratch, "runtime-static-keys.h");
    writeFileSync(header, `${keys ? `#include <linux/jump_label.h>\n${keys}\n` : ""}${iterators ? `${iterators}\n` : ""}`);
    extra.push("-include", header);
  }
  const pp = run([...preprocessArgv({ ...compile, source: "", isModule: true }, source.original, source.preprocessed), "-DMODULE", ...extra], compile.cwd);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  if (pp.status !== 0) return [];
  const tu = parsePreprocessed(pp.stdout);
  const out: OriginalFunction[] = [];
  for (const f of plan.originals ?? []) {
    const defs = (tu.decls.get(f.name) ?? []).filter((d) => d.kind === "function");
    const d = defs.find((x) => x.file === source.preprocessed || x.file.endsWith(`/${f.file}`)) ?? defs[0];
    if (d) out.push({ ...f, markerFile: d.file, line: d.line, text: pp.stdout.slice(d.start, d.end) });
  }
  return out;
}

/**
 * Compiles the module's preamble and #includes alone as a module: some kernel
 * headers hide content from modules (asm/tlbflush.h is `#ifndef MODULE`,
 * which breaks asm/tlb.h). When it fails inside headers that only an include
 * nothing copied needs brings in, that include is left out and the check
 * repeats. The text depends only on the TU's includes, so the cache answers
 * it for every later fix to the same TU. `ok`: the includes compile now.
 */
export function dropBreakingIncludes(o: Omit<VerifyOptions, "renderModule">): { dropped: number; ok: boolean; firstError: string } {
  const compile = o.plan.compile!;
  let dropped = 0;
  for (let round = 0; round < 8; round++) {
    const r = trialCompile(compile, o.renderIncludes(), o.cacheDir, () => o.progress?.("checking the #includes as a module (-DMODULE -fsyntax-only)"), o.stats);
    if (r.ok) return { dropped, ok: true, firstError: "" };
    const culprit = o.plan.includes.find((p) => p.include && !p.include.needed && !p.include.dropped && p.include.files.some((f) => r.errorFiles.includes(resolve(compile.cwd, f))));
    if (!culprit) return { dropped, ok: false, firstError: r.firstError };
    culprit.include!.dropped = true;
    dropped++;
  }
  return { dropped, ok: false, firstError: "too many includes break a module build" };
}

/** KLP-E042 at the first error: the original line when the generated line is copied code, else the generated file's. */
function reportCompileFailure(plan: LivepatchPlan, fileName: string, text: string, r: ModuleCompile, sink: DiagnosticSink): void {
  const first = r.errors[0];
  const hint = "the livepatch would not build: please report it with the patch (a declaration, macro or type the copied code needs is missing); nothing was written";
  if (!first) {
    sink.report({ code: "KLP-E042", severity: "error", message: `the livepatch does not compile as a module: ${r.failure ?? "the compiler failed"}`, location: { file: fileName, line: 0, column: 0 }, hint });
    return;
  }
  if (first.file !== fileName) {
    sink.report({ code: "KLP-E042", severity: "error", message: `the livepatch does not compile as a module: error in a header it includes: ${first.message}`, location: { file: first.file, line: first.line, column: first.column }, hint });
    return;
  }
  const origin = originOfLine(text, [...plan.preamble, ...plan.includes, ...plan.body], first.line);
  const lineText = text.split("\n")[first.line - 1]?.trim() ?? "";
  sink.report({
    code: "KLP-E042",
    severity: "error",
    message: `the livepatch does not compile as a module: ${fileName}:${first.line}:${first.column}: ${first.message}${origin ? ` (copied from ${origin.file}:${origin.line})` : " (klp-ccp's own code)"}: \`${lineText}\``,
    location: origin ? { file: origin.file, line: origin.line, column: first.column } : { file: fileName, line: first.line, column: first.column },
    hint,
  });
}

/** True for an EquivalenceCount as it was kept. */
function isCount(r: unknown): r is EquivalenceCount {
  const c = r as Partial<EquivalenceCount> | undefined;
  return Boolean(c && Number.isInteger(c.compared) && Number.isInteger(c.identical));
}
