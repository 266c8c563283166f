import { parentPort } from "node:worker_threads";
import { DiagnosticSink, StageFailed, type Diagnostic } from "./diagnostics/diagnostic.js";
import type { PatchSet, ExportTable, SymbolTable } from "./model/input.js";
import type { LivepatchPlan } from "./model/plan.js";
import type { LivepatchSet } from "./model/livepatch-set.js";
import type { CacheDir } from "./model/cache.js";
import type { StatMemo } from "./cache/file-stamps.js";
import { readTables, readTablesAhead } from "./read-tables.js";
import { diskOutlineStore } from "./input/outline-store.js";
import { analyseTu } from "./analyse-tu.js";
import { headerUserPlan, type HeaderFix } from "./header-fix.js";
import { checkMain, checkPart } from "./check-livepatch.js";
import { startPreprocess, type StartedPreprocess } from "./start-preprocess.js";
import type { TuInputs } from "./tu-inputs.js";

/** What every job of one run shares: the run's inputs, as plain data (a worker's workerData). */
export interface WorkerSetup {
  src: string;
  build: string;
  /** The scratch directory whose tree/ holds the patched files. */
  work: string;
  symbols: string;
  symvers: string;
  ipaDir: string;
  mode: "kallsyms" | "klp-reloc";
  modulesDirs: string[];
  /** The patched files (relative to src → text). */
  patched: Map<string, string>;
  /** --cache-dir, already checked by the main thread (openCacheDir). */
  cacheRoot?: string;
  /** The codes accepted with --force. */
  forced: string[];
  /** A fix that changes headers: the -I options that put the patched ones first (see startPreprocess). */
  includes?: string[];
  /** Whether the main thread wants stage times and progress messages. */
  timings: boolean;
  progress: boolean;
}

/** One piece of work: a TU of a fix, a TU that includes a changed header, or a part's compile check. */
export type WorkerJob =
  /** analyseTu of one .c file of the fix (its preprocessing started by a "preprocess" message to the same worker). */
  | { kind: "patch"; relPath: string; name: string; patch: PatchSet; headerFix?: HeaderFix }
  /** headerUserPlan of one TU that includes the changed header. */
  | { kind: "header"; relPath: string; name: string; title: string; fix: HeaderFix }
  /** checkPart of set.parts[part]; or, with part -1, the compile check of NAME_main.c. */
  | { kind: "check"; set: LivepatchSet; part: number; verify: boolean };

/** What a job gives back; its diagnostics are merged by the main thread in job order. */
export interface JobResult {
  diagnostics: Diagnostic[];
  /** Stage times, replayed into the main thread's timer. */
  timings: Array<[string, number]>;
  /** Cache entries found damaged (CacheDir.discarded). */
  discarded: string[];
  /** Whether the job wrote a cache entry (CacheDir.wrote: the main thread bounds the directory's size after the run). */
  wroteCache: boolean;
  /** The TU's plan (a skipped header user has none); of a check, the plan as the check left it. */
  plan?: LivepatchPlan;
  /** The stage that failed (StageFailed), when it did. */
  failed?: string;
  /** Any other exception, with the fields asInputError reads. */
  error?: { message: string; stack?: string; code?: string; path?: string; syscall?: string };
}

export type ToWorker = { type: "preprocess"; relPath: string } | { type: "job"; id: number; job: WorkerJob } | { type: "finish"; keep: boolean };
export type FromWorker = { type: "progress"; message: string } | { type: "result"; id: number; result: JobResult } | { type: "finished" };

/** The worker's side: runs the messages one after the other, in the order they came. */
export function runWorker(setup: WorkerSetup): void {
  const port = parentPort!;
  const state = new WorkerState(setup, (message) => port.postMessage({ type: "progress", message } satisfies FromWorker));
  let queue = Promise.resolve();
  port.on("message", (m: ToWorker) => {
    queue = queue.then(async () => {
      if (m.type === "preprocess") state.preprocess(m.relPath);
      else if (m.type === "job") port.postMessage({ type: "result", id: m.id, result: await state.run(m.job) } satisfies FromWorker);
      else {
        state.finish(m.keep);
        port.postMessage({ type: "finished" } satisfies FromWorker);
        port.close();
      }
    });
  });
}

/**
 * Runs the jobs of one thread: a worker's, or the main thread's share (which
 * is given the tables the main thread read, and its cache directory).
 */
export class WorkerState {
  private readonly cache: CacheDir | undefined;
  private readonly stats: StatMemo = new Map();
  private readonly started = new Map<string, StartedPreprocess>();
  /** What starting each TU's preprocessing reported (a missing compile command), for its job; failed: it could not start. */
  private readonly early = new Map<string, { diagnostics: Diagnostic[]; failed: boolean }>();
  private tables: { symbols: SymbolTable; exports: ExportTable } | undefined;

  constructor(
    private readonly setup: WorkerSetup,
    private readonly progress: (m: string) => void,
    private readonly own?: { cache: CacheDir | undefined; tables: () => { symbols: SymbolTable; exports: ExportTable } | undefined },
  ) {
    this.cache = own ? own.cache : setup.cacheRoot ? { root: setup.cacheRoot, discarded: [], checkedDirs: new Set(), maxBytes: undefined, wrote: false } : undefined;
  }

  preprocess(relPath: string): void {
    const s = this.setup;
    const sink = new DiagnosticSink(new Set(s.forced));
    let failed = false;
    try {
      const started = startPreprocess({ relPath, patched: s.patched, src: s.src, build: s.build, work: s.work, stats: this.stats, sink, ...(this.cache ? { cacheDir: this.cache } : {}), ...(s.includes ? { includes: s.includes } : {}) });
      if (started) this.started.set(relPath, started);
    } catch (e) {
      if (!(e instanceof StageFailed)) throw e;
      failed = true;
    }
    this.early.set(relPath, { diagnostics: sink.items, failed });
  }

  async run(job: WorkerJob): Promise<JobResult> {
    const sink = new DiagnosticSink(new Set(this.setup.forced));
    const timings: Array<[string, number]> = [];
    const timer = this.setup.timings ? (stage: string, ms: number) => void timings.push([stage, ms]) : undefined;
    const seen = this.cache?.discarded.length ?? 0;
    const done = (r: Partial<JobResult>): JobResult => ({ diagnostics: sink.items, timings, discarded: this.cache?.discarded.slice(seen) ?? [], wroteCache: this.cache?.wrote ?? false, ...r });
    try {
      // Its wall time is the main thread's (the checks run side by side).
      if (job.kind === "check") return done({ plan: this.check(job, sink) });
      const early = job.kind === "patch" ? this.early.get(job.relPath) : undefined;
      for (const d of early?.diagnostics ?? []) sink.report(d);
      if (early?.failed) throw new StageFailed("kbuild");
      const started = job.kind === "patch" ? this.started.get(job.relPath) : undefined;
      if (started) await started.ready();
      const inputs = { ...(await this.inputs()), name: job.name, sink, ...(timer ? { timer } : {}) };
      if (job.kind === "patch") {
        const fix = job.headerFix;
        const o = { ...inputs, patch: job.patch, patched: this.setup.patched, work: this.setup.work, relPath: job.relPath, ...(fix ? { overlay: fix.overlay, headerChanges: fix.changed } : {}) };
        return done({ plan: analyseTu({ ...o, ...(started ? { preprocessing: () => started.wait(o) } : {}) }) });
      }
      const plan = headerUserPlan({ ...inputs, fix: job.fix, title: job.title }, job.relPath);
      return done(plan ? { plan } : {});
    } catch (e) {
      if (e instanceof StageFailed) return done({ failed: e.stage });
      const err = e as NodeJS.ErrnoException;
      return done({ error: { message: String(err?.message ?? e), ...(err?.stack ? { stack: err.stack } : {}), ...(err?.code ? { code: err.code } : {}), ...(err?.path ? { path: err.path } : {}), ...(err?.syscall ? { syscall: err.syscall } : {}) } });
    }
  }

  finish(keep: boolean): void {
    for (const s of this.started.values()) {
      if (keep) s.keepHeaders();
      s.cancel();
    }
  }

  private check(job: Extract<WorkerJob, { kind: "check" }>, sink: DiagnosticSink): LivepatchPlan | undefined {
    const s = this.setup;
    if (job.part < 0) {
      checkMain(job.set, sink, this.cache, this.stats);
      return undefined;
    }
    const part = job.set.parts[job.part]!;
    checkPart(job.set, part, sink, { cache: this.cache, verify: job.verify, ...(s.progress ? { progress: this.progress } : {}) }, this.stats, { src: s.src, work: s.work });
    return part.plan;
  }

  /** The symbol tables (read once per worker, through the index cache the main thread's read left) and the rest of TuInputs. */
  private async inputs(): Promise<Omit<TuInputs, "name" | "sink">> {
    const s = this.setup;
    this.tables ??= this.own?.tables();
    if (!this.tables) {
      // The main thread reported what the tables hold wrong: this read's diagnostics are dropped.
      const quiet = new DiagnosticSink();
      const where = { symbols: s.symbols, symvers: s.symvers, cache: this.cache };
      this.tables = readTables({ ...where, ahead: await readTablesAhead(where), sink: quiet });
    }
    const outlines = diskOutlineStore(this.cache);
    return {
      src: s.src, build: s.build, ipaDir: s.ipaDir, mode: s.mode, modulesDirs: s.modulesDirs, ...this.tables,
      ...(outlines ? { outlines } : {}),
      ...(s.progress ? { progress: this.progress } : {}),
    };
  }
}
