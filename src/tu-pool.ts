import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker, isMainThread, workerData } from "node:worker_threads";
import type { CacheDir } from "./model/cache.js";
import type { ExportTable, SymbolTable } from "./model/input.js";
import { runWorker, WorkerState, type FromWorker, type JobResult, type ToWorker, type WorkerJob, type WorkerSetup } from "./tu-worker.js";

// A worker runs this same file (or the bundle it is part of): it starts serving here.
if (!isMainThread && (workerData as { klpCcpTuWorker?: WorkerSetup } | null)?.klpCcpTuWorker) runWorker((workerData as { klpCcpTuWorker: WorkerSetup }).klpCcpTuWorker);

/** The file a worker thread runs: this module as compiled (dist/tu-pool.js) or the bundle holding it; undefined from TypeScript sources (tests), which node cannot load in a worker. */
function workerFile(): string | undefined {
  const file = fileURLToPath(import.meta.url);
  return /\.c?js$/.test(file) ? file : undefined;
}

/**
 * The bundle loaded as bin/klp-ccp loads it: with V8's code cache beside it
 * (read only; the main thread writes it), so that a worker does not compile
 * again what the analyses run.
 */
function bundleLoader(file: string): string {
  return `const { readFileSync } = require("node:fs");
const { Script } = require("node:vm");
const file = ${JSON.stringify(file)};
let cachedData;
try { cachedData = readFileSync(file + ".v8cache"); } catch { cachedData = undefined; }
const script = new Script("(function (exports, require, module, __filename, __dirname) {" + readFileSync(file, "utf8") + "\\n})", { filename: file, cachedData });
const module = { exports: {} };
script.runInThisContext()(module.exports, require("node:module").createRequire(file), module, file, require("node:path").dirname(file));`;
}

/** How many TU analyses run at once by default: one per core. */
export function defaultJobs(): number {
  return availableParallelism();
}

/** A thread that runs jobs: a worker, or this thread (local: between two of its jobs, the workers' messages are handled). */
interface Slot {
  worker?: Worker;
  local?: { state: WorkerState; chain: Promise<void> };
  /** Jobs sent and not answered yet. */
  pending: number;
  exited: Promise<void>;
}

/**
 * Threads that analyse TUs side by side: this one, and worker threads (each
 * with its own copy of the symbol tables, read through the index cache).
 * Jobs may finish in any order; callers merge their results in job order, so
 * the output does not depend on which finished first. Not opened for fewer
 * than two jobs at once (undefined: the caller runs them itself). From
 * TypeScript sources (tests), which node cannot load in a worker, every job
 * runs in this thread, through the same path.
 */
export class TuPool {
  private readonly slots: Slot[];
  private readonly waiting = new Map<number, { resolve: (r: JobResult) => void; reject: (e: Error) => void }>();
  private readonly queue: Array<{ id: number; job: WorkerJob }> = [];
  private readonly owner = new Map<string, Slot>();
  private nextId = 0;
  private next = 0;
  private closed = false;

  /**
   * `tables`: the symbol tables this thread read (undefined until then), for
   * its own jobs. `tus`: how many jobs there will be at most at once.
   */
  static open(o: { setup: WorkerSetup; jobs: number; tus: number; cache: CacheDir | undefined; tables: () => { symbols: SymbolTable; exports: ExportTable } | undefined; progress?: ((m: string) => void) | undefined }): TuPool | undefined {
    const n = Math.min(o.jobs, o.tus);
    return n >= 2 ? new TuPool(o, workerFile() ? n - 1 : 0) : undefined;
  }

  private constructor(o: Parameters<typeof TuPool.open>[0], workers: number) {
    const progress = (m: string) => o.progress?.(m);
    const local: Slot = { local: { state: new WorkerState(o.setup, progress, { cache: o.cache, tables: o.tables }), chain: Promise.resolve() }, pending: 0, exited: Promise.resolve() };
    this.slots = [local, ...Array.from({ length: workers }, () => this.spawn(workerFile()!, o.setup, progress))];
  }

  private spawn(file: string, setup: WorkerSetup, progress: (m: string) => void): Slot {
    const options = { workerData: { klpCcpTuWorker: setup } };
    const worker = file.endsWith(".cjs") ? new Worker(bundleLoader(file), { ...options, eval: true }) : new Worker(file, options);
    const slot: Slot = { worker, pending: 0, exited: new Promise((res) => worker.once("exit", () => res())) };
    worker.on("message", (m: FromWorker) => {
      if (m.type === "progress") progress(m.message);
      else if (m.type === "result") this.answered(slot, m.id, m.result);
    });
    worker.on("error", (e) => this.failAll(e));
    return slot;
  }

  /** Starts the preprocessing of a TU of the fix in the next thread, which will also analyse it ("patch" job). */
  preprocess(relPath: string): void {
    const slot = this.slots[this.next++ % this.slots.length]!;
    this.owner.set(relPath, slot);
    if (slot.local) slot.local.state.preprocess(relPath);
    else slot.worker!.postMessage({ type: "preprocess", relPath } satisfies ToWorker);
  }

  /** Runs a job: a "patch" job in the thread that preprocesses its TU, others in the first thread free. */
  run(job: WorkerJob): Promise<JobResult> {
    const id = this.nextId++;
    const result = new Promise<JobResult>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    const owner = job.kind === "patch" ? this.owner.get(job.relPath) : undefined;
    if (owner) this.dispatch(owner, id, job);
    else {
      this.queue.push({ id, job });
      this.pump();
    }
    return result;
  }

  /** Ends the threads' work, after what they run: with keep, each first keeps the headers of the TUs it preprocessed (StartedPreprocess.keepHeaders). */
  async close(keep: boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const slot of this.slots) {
      if (slot.local) await slot.local.chain.then(() => slot.local!.state.finish(keep));
      else slot.worker!.postMessage({ type: "finish", keep } satisfies ToWorker);
    }
    await Promise.all(this.slots.map((s) => s.exited));
  }

  /** Queued jobs to the threads with fewer than two pending (one running, one ready to start). */
  private pump(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.reduce((a, b) => (b.pending < a.pending ? b : a));
      if (slot.pending >= 2) return;
      const { id, job } = this.queue.shift()!;
      this.dispatch(slot, id, job);
    }
  }

  private dispatch(slot: Slot, id: number, job: WorkerJob): void {
    slot.pending++;
    const local = slot.local;
    if (!local) {
      slot.worker!.postMessage({ type: "job", id, job } satisfies ToWorker);
      return;
    }
    // After the messages waiting now (setImmediate): this thread's jobs run synchronously.
    local.chain = local.chain.then(() => new Promise<void>((res) => setImmediate(res))).then(async () => this.answered(slot, id, await local.state.run(job)));
  }

  private answered(slot: Slot, id: number, result: JobResult): void {
    slot.pending--;
    this.waiting.get(id)?.resolve(result);
    this.waiting.delete(id);
    this.pump();
  }

  private failAll(e: Error): void {
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }
}
