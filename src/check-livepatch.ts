import { join } from "node:path";
import { StageFailed, type DiagnosticSink } from "./diagnostics/diagnostic.js";
import type { LivepatchPlan } from "./model/plan.js";
import type { LivepatchSet, TuPart } from "./model/livepatch-set.js";
import type { CacheDir } from "./model/cache.js";
import type { StatMemo } from "./cache/file-stamps.js";
import { compileModule } from "./kbuild/module-compile.js";
import { buildReport } from "./decide/report.js";
import { renderIncludeCheck, renderLivepatch, renderMain, renderPart } from "./render/render.js";
import { dropBreakingIncludes, verifyModule } from "./verify/verify-module.js";

/**
 * The compile check (checkModule) of every part, each with its TU's own
 * command; with several parts also NAME_main.c, with the first TU's.
 */
export interface CheckSetOptions {
  set: LivepatchSet;
  sink: DiagnosticSink;
  /** --src, and the scratch directory whose tree/ holds the patched files. */
  src: string;
  work: string;
  stats: StatMemo;
  cache?: CacheDir | undefined;
  /** false: --no-verify (checkModule). */
  verify?: boolean;
  progress?: (m: string) => void;
}

export function checkSet(o: CheckSetOptions): void {
  const { set, sink, stats } = o;
  const opts = { ...(o.cache ? { cache: o.cache } : {}), ...(o.verify === false ? { verify: false } : {}), ...(o.progress ? { progress: o.progress } : {}) };
  for (const part of set.parts) checkPart(set, part, sink, opts, stats, o);
  if (set.parts.length > 1 && o.verify !== false) checkMain(set, sink, o.cache, stats);
}

/** One part's compile check (checkModule), with its TU's command: the classic NAME.c when it is the only part. */
export function checkPart(set: LivepatchSet, part: TuPart, sink: DiagnosticSink, opts: { cache?: CacheDir | undefined; verify?: boolean; progress?: (m: string) => void }, stats: StatMemo, where: { src: string; work: string }): void {
  const render = set.parts.length === 1 ? () => renderLivepatch(part.plan, buildReport(part.plan)).get(`${part.plan.name}.c`)! : () => renderPart(set, part);
  checkModule(part.plan, sink, opts, stats, { original: join(where.src, part.relPath), preprocessed: join(where.work, "tree", part.relPath) }, render);
}

/** NAME_main.c of several parts, compiled as a module with the first TU's command (KLP-E042 when it fails). */
export function checkMain(set: LivepatchSet, sink: DiagnosticSink, cache: CacheDir | undefined, stats: StatMemo): void {
  const compile = set.parts[0]!.plan.compile;
  if (!compile) return;
  const fileName = `${set.name}_main.c`;
  const r = compileModule(compile, fileName, renderMain(set), cache, undefined, stats);
  if (r.ok) return;
  const e = r.errors[0];
  sink.report({ code: "KLP-E042", severity: "error", message: `the livepatch's ${fileName} does not compile as a module: ${e ? `${e.file}:${e.line}:${e.column}: ${e.message}` : (r.failure ?? "the compiler failed")}`, location: { file: fileName, line: e?.line ?? 0, column: e?.column ?? 0 }, hint: "klp-ccp's own code: please report it with the patch; nothing was written" });
  throw new StageFailed("verify");
}

/**
 * The module compiled as a check (verifyModule: the whole module, then the
 * equivalence of its copies), or with --no-verify only its #include section
 * (dropBreakingIncludes; a failure is KLP-W008). Errors stop the run: nothing
 * is written.
 */
export function checkModule(plan: LivepatchPlan, sink: DiagnosticSink, opts: { cache?: CacheDir | undefined; verify?: boolean; progress?: (m: string) => void }, stats: StatMemo, source?: { original: string; preprocessed: string }, render?: () => string): void {
  if (!plan.compile) return;
  const common = { plan, sink, stats, renderIncludes: () => renderIncludeCheck(plan), ...(opts.cache ? { cacheDir: opts.cache } : {}), ...(opts.progress ? { progress: opts.progress } : {}) };
  if (opts.verify === false) {
    const r = dropBreakingIncludes(common);
    if (!r.ok) sink.report({ code: "KLP-W008", severity: "warning", message: `the livepatch's #includes fail to compile as a module: ${r.firstError}`, location: { file: `${plan.name}.c`, line: 0, column: 0 }, hint: "the module build will show the full error (--no-verify: the whole module was not compiled)" });
    return;
  }
  verifyModule({ ...common, ...(source ? { source } : {}), renderModule: render ?? (() => renderLivepatch(plan, buildReport(plan)).get(`${plan.name}.c`)!) });
  if (sink.hasErrors) throw new StageFailed("verify");
}

