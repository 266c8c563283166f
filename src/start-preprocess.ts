import { join } from "node:path";
import { DiagnosticSink, StageFailed } from "./diagnostics/diagnostic.js";
import type { PatchSet } from "./model/input.js";
import { preprocessFailed, type Preprocessed, type TuInputs } from "./analyse-tu.js";
import { readCompileCommand, preprocessArgv } from "./kbuild/compile-command.js";
import { runInBackground, type BackgroundRun } from "./kbuild/background.js";
import { run } from "./kbuild/run.js";
import { afterPchPragma, commitEntry, dropEntry, entryWorkDir, lookupHeaders, pchArgv, planHeaderCache, prefixEnd, skippedOnceRead, writePchHeader, type HeaderCachePlan } from "./kbuild/header-cache.js";
import { PreprocessedTuBuilder, snapshotOf } from "./parse/preprocessed-tu.js";

/** A TU's preprocessing started ahead of time (startPreprocess), finished by loadTu. */
export interface StartedPreprocess {
  relPath: string;
  /** Waits for the preprocessor; reports and throws like preprocess() would have at that point. */
  wait(o: TuInputs): Preprocessed;
  /**
   * After a successful run: keeps the TU's headers for later runs when this
   * one preprocessed them (builds the PCH: ~1-3 s, once per #include block).
   */
  keepHeaders(progress?: (message: string) => void): void;
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
 * only the rest of its file preprocessed. Undefined where analyseTu() would
 * not preprocess (not exactly one .c file) or has a ready .i.
 */
export function startPreprocess(o: { patch: PatchSet; patched: Map<string, string>; src: string; build: string; work: string; preprocessed?: string; cacheDir?: string }): StartedPreprocess | undefined {
  const files = o.patch.files;
  if (o.preprocessed || files.length !== 1 || !files[0]!.path.endsWith(".c")) return undefined;
  const relPath = files[0]!.path;
  const mainPath = join(o.work, "tree", relPath);
  // Diagnostics wait for wait(), where preprocess() would have made them.
  const early = new DiagnosticSink();
  const cmd = readCompileCommand(o.build, relPath, early);
  const source = o.patched.get(relPath);
  const ppArgv = cmd ? preprocessArgv(cmd, join(o.src, relPath), mainPath) : [];
  const plan = cmd && o.cacheDir && source !== undefined ? planHeaderCache({ cacheDir: o.cacheDir, ppArgv, cmd, mainPath, source }) : undefined;
  const hit = plan ? lookupHeaders(plan) : undefined;
  // gcc first; the kept part is read while it runs (its output is handed on only from wait()).
  let builder = new PreprocessedTuBuilder();
  let body: ReturnType<typeof afterPchPragma> | undefined;
  const job = cmd ? runInBackground(hit ? hit.argv : ppArgv, cmd.cwd, (piece) => (body ? body.push(piece) : builder.push(piece))) : undefined;
  const kept = hit?.load();
  if (kept && cmd) {
    builder = PreprocessedTuBuilder.resume(kept.snapshot, kept.prefixText);
    const readFiles = new Set(kept.snapshot.markers.filter((m) => m.flags.includes(1)).map((m) => m.file));
    body = afterPchPragma({ returning: kept.snapshot.curFile !== mainPath, skips: skippedOnceRead(readFiles, cmd.cwd) }, (piece) => builder.push(piece));
  }
  let keeping: { plan: HeaderCachePlan; dir: string; prefixText: string; pch: BackgroundRun } | undefined;
  let fromHeaders = false;
  return {
    relPath,
    wait: (t) => {
      for (const d of early.items) t.sink.report(d);
      if (!cmd || !job) throw new StageFailed("kbuild");
      let pp = job.wait();
      body?.end();
      fromHeaders = Boolean(hit);
      if (hit && (pp.status !== 0 || !body?.used())) {
        // gcc did not take the PCH, the kept part was unreadable, or the rest of the file failed: the plain way, which also says why.
        if (pp.status === 0) dropEntry(plan!);
        builder = new PreprocessedTuBuilder();
        pp = run(ppArgv, cmd.cwd);
        builder.push(pp.stdout);
        fromHeaders = false;
      }
      t.timer?.("parse", builder.scanMs); // scanning the output as it came: within "preprocess"
      if (pp.status !== 0) preprocessFailed(t, relPath, mainPath, pp.stderr);
      const tu = builder.finish();
      if (plan && !fromHeaders) keeping = startKeeping(plan, builder);
      return { text: "", tu, object: cmd.isModule && cmd.modName ? cmd.modName : "vmlinux", flags: cmd.argv, cwd: cmd.cwd };
    },
    keepHeaders: (progress) => {
      if (!keeping) return;
      const k = keeping;
      keeping = undefined;
      progress?.("keeping the TU's headers for later runs (a precompiled header, once per #include block)");
      const snapshot = snapshotOf(k.prefixText);
      const built = k.pch.wait();
      if (snapshot && built.status === 0) commitEntry(k.plan, k.dir, k.prefixText, snapshot);
      else dropEntry({ ...k.plan, entry: k.dir });
    },
    usedKeptHeaders: () => fromHeaders,
    cancel: () => {
      job?.cancel();
      if (keeping) {
        keeping.pch.cancel();
        dropEntry({ ...keeping.plan, entry: keeping.dir });
      }
    },
  };
}

/** Starts building the PCH of a full run's headers (in the background); undefined when the .i has no clean place to cut. */
function startKeeping(plan: HeaderCachePlan, builder: PreprocessedTuBuilder): { plan: HeaderCachePlan; dir: string; prefixText: string; pch: BackgroundRun } | undefined {
  const scan = builder.scan!;
  const end = prefixEnd(scan.markers, scan.lineStarts, plan.mainPath, plan.prefix.lines);
  if (end <= 0) return undefined;
  const dir = entryWorkDir(plan);
  try {
    writePchHeader(plan, dir);
  } catch {
    return undefined;
  }
  return { plan, dir, prefixText: scan.text.slice(0, end), pch: runInBackground(pchArgv(plan, dir), plan.cwd, () => undefined) };
}
