import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { StageFailed, type DiagnosticSink } from "./diagnostics/diagnostic.js";
import type { PatchSet } from "./model/input.js";
import type { CacheDir } from "./model/cache.js";
import type { StatMemo } from "./cache/file-stamps.js";
import { readPatches, type PatchFiles } from "./input/patches.js";
import { checkFileChanges } from "./decide/file-changes.js";
import { applyPatches } from "./kbuild/apply-patch.js";
import { unreadableReason } from "./util/readable.js";
import { startPreprocess, type StartedPreprocess } from "./start-preprocess.js";
import { fixIncludes } from "./header-fix.js";
import { readCompileCommand } from "./kbuild/compile-command.js";
import { timed, type StageTimer } from "./timings.js";

/** The fix as read and checked (the fix pass). */
export interface Fix {
  /** Every patch with its bytes, and every file change of all of them. */
  patches: PatchFiles;
  /** The .c files the fix changes (its TUs), each once, in patch order. */
  tus: string[];
}

/**
 * The fix pass: reads the patches and checks the fix's shape once, first:
 * one TU with --preprocessed (KLP-E019), every file modified in place and a
 * C source or header (KLP-E020). Throws StageFailed after reporting.
 */
export function readFix(o: { patches: string[]; preprocessed?: string; sink: DiagnosticSink }): Fix {
  const { sink } = o;
  const patches = readPatches(o.patches, sink);
  if (!patches || sink.hasErrors) throw new StageFailed("input");
  const tus = [...new Set(patches.all.files.map((f) => f.path).filter((p) => p.endsWith(".c")))];
  if (o.preprocessed && tus.length > 1) {
    sink.report({ code: "KLP-E019", severity: "error", message: `--preprocessed gives one TU, and the fix changes ${tus.length} .c files (${tus.join(", ")})`, location: { file: o.patches[0]!, line: 0, column: 0 }, hint: "pass --build instead: every TU is preprocessed with its own kbuild command" });
    throw new StageFailed("input");
  }
  checkFileChanges({ patch: patches.all, sink });
  for (const f of patches.all.files.filter((x) => !x.path.endsWith(".c") && !x.path.endsWith(".h"))) {
    sink.report({ code: "KLP-E020", severity: "error", message: `the patch changes ${f.path}, which is not a C source or header file`, location: f.hunks[0]!.location, hint: "only C functions can be live-patched: leave build files, assembly and documentation out of the fix" });
  }
  if (sink.hasErrors) throw new StageFailed("input"); // not when --force KLP-E020 made them warnings
  return { patches, tus };
}

/** What the apply pass leaves running: each TU's preprocessing, by .c path (to cancel when the run ends). */
export type Started = Map<string, StartedPreprocess>;

/** The apply pass's output: the patched files' text, by path; for a fix that changes headers, the -I options that put the patched ones first. */
export interface Applied {
  patched: Map<string, string>;
  includes?: string[];
}

/** Threads that preprocess and analyse a fix's TUs side by side (tu-pool.ts): each TU's preprocessing starts in the thread that will analyse it. */
export interface PreprocessPool {
  preprocess(relPath: string): void;
}

/**
 * The apply pass: the fix applied to a copy of the files it changes under
 * `work`/tree, and each TU's preprocessor started on it (they run side by side,
 * and while the symbol tables are read): on the threads of the pool `openPool`
 * gives for a fix of several TUs, else in this thread (into `started`). A fix
 * that changes headers has each TU preprocessed with the patched ones first.
 */
export function applyFix(o: { fix: Fix; src: string; build: string; work: string; preprocessed?: string; cache?: CacheDir; stats: StatMemo; started: Started; sink: DiagnosticSink; timer?: StageTimer; openPool?: (applied: Applied, tus: number) => PreprocessPool | undefined }): Applied {
  const { fix, sink } = o;
  if (!patchedFilesReadable(fix.patches.all, o.src, sink)) throw new StageFailed("apply");
  const patched = timed(o.timer, "apply patch", () => applyPatches(fix.patches.each, o.src, join(o.work, "tree"), sink));
  if (!patched || sink.hasErrors) throw new StageFailed("apply");
  const files = fix.patches.all.files.map((f) => f.path);
  const includes = files.some((f) => f.endsWith(".h")) ? fixIncludes(files, join(o.work, "tree")) : undefined;
  const applied: Applied = { patched, ...(includes ? { includes } : {}) };
  timed(o.timer, "start preprocess", () => {
    const pool = o.openPool?.(applied, fix.tus.length);
    for (const relPath of fix.tus) {
      if (pool) {
        // A TU without a compile command is reported here, as in this thread (the worker reads it again).
        if (!readCompileCommand(o.build, relPath, sink)) throw new StageFailed("kbuild");
        pool.preprocess(relPath);
      } else {
        const started = startPreprocess({ relPath, patched, src: o.src, build: o.build, work: o.work, stats: o.stats, sink, ...(includes ? { includes } : {}), ...(o.preprocessed ? { preprocessed: o.preprocessed } : {}), ...(o.cache ? { cacheDir: o.cache } : {}) });
        if (started) o.started.set(relPath, started);
      }
    }
  });
  return applied;
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
