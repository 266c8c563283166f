import { join } from "node:path";
import { StageFailed, type DiagnosticSink } from "./diagnostics/diagnostic.js";
import { preprocessFailed, type Preprocessed, type TuInputs } from "./tu-inputs.js";
import { readCompileCommand, preprocessArgv } from "./kbuild/compile-command.js";
import { runDetached, runInBackground } from "./kbuild/background.js";
import { run } from "./kbuild/run.js";
import type { StatMemo } from "./cache/file-stamps.js";
import type { CacheDir } from "./model/cache.js";
import { readAhead } from "./util/read-ahead.js";
import { afterPchPragma, dropEntry, filesRead, lookupHeaders, planHeaderCache, prefixEnd, skippedOnceRead, stageEntry, type HeaderCachePlan } from "./kbuild/header-cache.js";
import { PreprocessedTuBuilder, snapshotOf } from "./parse/preprocessed-tu.js";

/** A TU's preprocessing started ahead of time (startPreprocess), finished by loadTu. */
export interface StartedPreprocess {
  relPath: string;
  /**
   * Takes the kept headers (read ahead on the thread pool since the start)
   * once their bytes are in; wait() reads them itself if this was not awaited.
   */
  ready(): Promise<void>;
  /** Waits for the preprocessor; a failure is reported (KLP-E006) and thrown. */
  wait(o: TuInputs): Preprocessed;
  /**
   * After a successful run that preprocessed the whole TU: stages its
   * headers' part for later runs, and leaves gcc building their PCH in the
   * background (1-3 s, once per #include block; nothing waits for it).
   */
  keepHeaders(): void;
  /** Stops what still runs (the pipeline failed, or is done). */
  cancel(): void;
  /** After wait(): true when the headers came from the cache (only the rest of the file was preprocessed). */
  usedKeptHeaders(): boolean;
}

/**
 * Patch mode: starts the compiler on the patched TU right after the patch is
 * applied, in the background, indexing its output as it comes, so that it
 * runs while the pipeline reads the symbol tables. With a cache directory,
 * a TU whose headers were kept by an earlier run (kbuild/header-cache.ts) has
 * only the rest of its file preprocessed. Started for each TU of a fix at
 * once, the compilers run side by side. Undefined where analyseTu() has a
 * ready .i. A TU without a compile command is reported and thrown (StageFailed) here.
 */
export function startPreprocess(o: { relPath: string; patched: Map<string, string>; src: string; build: string; work: string; sink: DiagnosticSink; preprocessed?: string; cacheDir?: CacheDir; stats?: StatMemo; includes?: string[] }): StartedPreprocess | undefined {
  if (o.preprocessed || !o.relPath.endsWith(".c")) return undefined;
  const { relPath } = o;
  const mainPath = join(o.work, "tree", relPath);
  const given = readCompileCommand(o.build, relPath, o.sink);
  if (!given) throw new StageFailed("kbuild");
  // A fix that changes headers: the patched ones first (-I into the tree), and no kept headers (made from the unpatched ones).
  const cmd = o.includes ? { ...given, argv: [given.argv[0]!, ...o.includes, ...given.argv.slice(1)] } : given;
  const source = o.patched.get(relPath);
  const ppArgv = preprocessArgv(cmd, join(o.src, relPath), mainPath);
  const plan = o.cacheDir && source !== undefined && !o.includes ? planHeaderCache({ cache: o.cacheDir, ppArgv, cmd, mainPath, source }) : undefined;
  const hit = plan ? lookupHeaders(plan, o.stats) : undefined;
  // gcc first; the kept part is read while it runs (its output is handed on only from wait()).
  let builder = new PreprocessedTuBuilder();
  let body: ReturnType<typeof afterPchPragma> | undefined;
  const job = runInBackground(hit ? hit.argv : ppArgv, cmd.cwd, (piece) => (body ? body.push(piece) : builder.push(piece)));
  const keptAhead = hit ? Promise.all(hit.files.map((f) => readAhead(f, true))) : undefined;
  let taken = !hit;
  const take = (ahead?: Array<Buffer | undefined>) => {
    if (taken) return;
    taken = true;
    const kept = hit?.load(ahead);
    if (kept) {
      builder = PreprocessedTuBuilder.resume(kept.snapshot, kept.prefixText);
      body = afterPchPragma({ returning: kept.snapshot.curFile !== mainPath, skips: skippedOnceRead(kept.snapshot, cmd.cwd) }, (piece) => builder.push(piece));
    }
  };
  let keeping: { plan: HeaderCachePlan; prefixText: string } | undefined;
  let fromHeaders = false;
  return {
    relPath,
    ready: async () => {
      if (keptAhead) take(await keptAhead);
    },
    wait: (t) => {
      take();
      // Checked while gcc runs, and before waiting for it: a damaged PCH is never waited on.
      const intact = !hit || hit.pchIntact();
      if (!intact) job.cancel();
      let pp = job.wait();
      body?.end();
      fromHeaders = Boolean(hit);
      if (hit && (!intact || pp.status !== 0 || !body?.used())) {
        // A damaged entry, gcc did not take the PCH, the kept part was unreadable, or the rest of the file failed: the plain way, which also says why.
        if (intact && pp.status === 0 && body) dropEntry(plan!, false);
        builder = new PreprocessedTuBuilder();
        pp = run(ppArgv, cmd.cwd);
        builder.push(pp.stdout);
        fromHeaders = false;
      }
      t.timer?.("parse", builder.scanMs); // scanning the output as it came: within "preprocess"
      if (pp.status !== 0) preprocessFailed(t, relPath, mainPath, pp.stderr);
      const tu = builder.finish();
      if (plan && !fromHeaders) keeping = headersPart(plan, builder);
      return { text: "", tu, object: cmd.isModule && cmd.modName ? cmd.modName : "vmlinux", flags: cmd.argv, cwd: cmd.cwd };
    },
    keepHeaders: () => {
      if (!keeping) return;
      const { plan: p, prefixText } = keeping;
      keeping = undefined;
      const snapshot = snapshotOf(prefixText);
      const finish = snapshot ? stageEntry(p, prefixText, snapshot, filesRead(snapshot, p.cwd)) : undefined;
      if (finish) runDetached(finish, p.cwd);
    },
    usedKeptHeaders: () => fromHeaders,
    cancel: () => job.cancel(),
  };
}

/** The headers' part of a full run's .i, to keep; undefined when the .i has no clean place to cut. */
function headersPart(plan: HeaderCachePlan, builder: PreprocessedTuBuilder): { plan: HeaderCachePlan; prefixText: string } | undefined {
  const scan = builder.scan!;
  const end = prefixEnd(scan.markers, scan.lineStarts, plan.mainPath, plan.prefix.lines);
  return end > 0 ? { plan, prefixText: scan.text.slice(0, end) } : undefined;
}
