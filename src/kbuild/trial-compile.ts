import { cacheKey } from "../cache/layout.js";
import { rmSync, writeFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { run } from "./run.js";
import type { CacheDir } from "../model/cache.js";
import { isStringArray, lookupAnswer, storeAnswer } from "../cache/compile-answers.js";
import { readDeps } from "./deps.js";
import type { StatMemo } from "../cache/file-stamps.js";
import { makeScratchDir } from "../util/scratch-dir.js";

/** What a trial compile of generated C found. */
export interface TrialResult {
  ok: boolean;
  /** Files (absolute) that gcc reported errors in, in order of appearance. */
  errorFiles: string[];
  /** The first error line, for messages. */
  firstError: string;
  /** True when the answer came from the cache (nothing was compiled). */
  cached?: boolean;
}

/** Bumped when what is kept changes (2: errors without a column count): older entries are then never read. */
const TRIAL_VERSION = "trial 2";

/**
 * Compiles generated C with the TU's own command as a module would be built
 * (-DMODULE), syntax only (~1 s on a kernel TU), and tells in which files it
 * failed, before the user's kbuild run does.
 *
 * With `cacheDir`, a result is kept under a key made of the command and the
 * text, together with gcc's own list of the files it read (-MD) and their
 * mtime and size; it is reused while none of them changed, the way ccache's
 * direct mode does. Checking the #include section of a TU gives the same
 * text again for every fix to that TU, so repeated runs skip the compile.
 * An entry is sealed (cache/seal.ts) and checked for its shape: a damaged
 * one is discarded and the compile runs.
 */
export function trialCompile(compile: { argv: string[]; cwd: string }, cText: string, cacheDir?: CacheDir, beforeCompile?: () => void, stats?: StatMemo): TrialResult {
  const argv = moduleArgv(compile.argv);
  const key = cacheKey("includes", "trial", TRIAL_VERSION, argv, compile.cwd, cText);
  const cached = cacheDir ? lookupAnswer(cacheDir, key, stats, isTrialResult) : undefined;
  if (cached) return { ...cached, cached: true };
  beforeCompile?.();
  const dir = makeScratchDir("trial");
  try {
    const file = join(dir, "livepatch.c");
    const depFile = join(dir, "livepatch.d");
    writeFileSync(file, cText);
    const r = run([...argv, "-MD", "-MF", depFile, file], compile.cwd);
    const errorFiles: string[] = [];
    let firstError = "";
    for (const line of r.stderr.split("\n")) {
      const m = /^(.+?):\d+:(?:\d+:)? (?:fatal )?error: /.exec(line);   // no column past gcc's 4096th
      if (!m) continue;
      firstError ||= line.replace(file, "<generated>");
      const path = isAbsolute(m[1]!) ? m[1]! : resolve(compile.cwd, m[1]!);
      if (!errorFiles.includes(path)) errorFiles.push(path);
    }
    const result = { ok: r.status === 0, errorFiles, firstError: firstError || r.stderr.trim().split("\n")[0] || "" };
    // A compiler that could not run (status 127) or a missing dependency list is not an answer to keep.
    if (cacheDir && r.status !== 127) storeAnswer(cacheDir, key, result, readDeps(depFile, compile.cwd, file));
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The TU's command made a module's syntax-only compile of another file (the file is appended). */
export function moduleArgv(argv: string[]): string[] {
  const args: string[] = [argv[0]!];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-o" || a === "-MF") {
      i++;
      continue;
    }
    if (a === "-c" || a === "-MD" || a === "-MMD" || a.startsWith("-Wp,-MMD") || a.startsWith("-Wp,-MD") || a.startsWith("-fdump-") || /\.c$/.test(a)) continue;
    if (a.startsWith("-DKBUILD_MODNAME=") || a.startsWith("-DKBUILD_MODFILE=") || a.startsWith("-D__KBUILD_MODNAME=")) continue;
    args.push(a);
  }
  return [...args, "-DMODULE", "-DKBUILD_MODNAME=\"klp_ccp_trial\"", "-D__KBUILD_MODNAME=kmod_klp_ccp_trial", "-fsyntax-only"];
}

/** True for a TrialResult as it was kept. */
function isTrialResult(r: unknown): r is TrialResult {
  const t = r as Partial<TrialResult> | undefined;
  return Boolean(t && typeof t.ok === "boolean" && typeof t.firstError === "string" && isStringArray(t.errorFiles));
}
