import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { run } from "./run.js";
import type { CacheDir } from "../model/cache.js";
import { cachePath, discard, readSealed, writeSealed } from "../cache/cache-files.js";
import { depsUnchanged, readDeps, stampDeps, type StampedDep, type StatMemo } from "./deps.js";

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

/** A cache entry: the result and the files the compile read, with what they were then. */
interface CacheEntry {
  result: TrialResult;
  /** [absolute path, mtimeMs, size] of every file gcc read (its -MD list). */
  deps: StampedDep[];
}

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
  const key = createHash("sha256").update(JSON.stringify([argv, compile.cwd, cText])).digest("hex");
  const cached = cacheDir ? lookup(cacheDir, key, stats) : undefined;
  if (cached) return { ...cached, cached: true };
  beforeCompile?.();
  const dir = mkdtempSync(join(tmpdir(), "klp-ccp-trial-"));
  try {
    const file = join(dir, "livepatch.c");
    const depFile = join(dir, "livepatch.d");
    writeFileSync(file, cText);
    const r = run([...argv, "-MD", "-MF", depFile, file], compile.cwd);
    const errorFiles: string[] = [];
    let firstError = "";
    for (const line of r.stderr.split("\n")) {
      const m = /^(.+?):\d+:\d+: (?:fatal )?error: /.exec(line);
      if (!m) continue;
      firstError ||= line.replace(file, "<generated>");
      const path = isAbsolute(m[1]!) ? m[1]! : resolve(compile.cwd, m[1]!);
      if (!errorFiles.includes(path)) errorFiles.push(path);
    }
    const result = { ok: r.status === 0, errorFiles, firstError: firstError || r.stderr.trim().split("\n")[0] || "" };
    // A compiler that could not run (status 127) or a missing dependency list is not an answer to keep.
    if (cacheDir && r.status !== 127) store(cacheDir, key, result, readDeps(depFile, compile.cwd, file));
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The TU's command made a module's syntax-only compile of another file (the file is appended). */
function moduleArgv(argv: string[]): string[] {
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

const entryPath = (key: string) => `includes/${key}.json`;

function lookup(cache: CacheDir, key: string, stats: StatMemo | undefined): TrialResult | undefined {
  const content = readSealed(cache, entryPath(key));
  if (!content) return undefined;
  let entry: unknown;
  try {
    entry = JSON.parse(content.toString("utf8"));
  } catch {
    entry = undefined;
  }
  if (!validEntry(entry)) {
    const path = cachePath(cache, entryPath(key));
    if (path) discard(cache, path);
    return undefined;
  }
  return depsUnchanged(entry.deps, stats) ? entry.result : undefined;
}

/** True for an entry of the shape store() writes. */
function validEntry(e: unknown): e is CacheEntry {
  const { result, deps } = (e ?? {}) as Partial<CacheEntry>;
  const okResult = result && typeof result.ok === "boolean" && typeof result.firstError === "string" && Array.isArray(result.errorFiles) && result.errorFiles.every((f) => typeof f === "string");
  const okDeps = Array.isArray(deps) && deps.every((d) => Array.isArray(d) && d.length === 3 && typeof d[0] === "string" && typeof d[1] === "number" && typeof d[2] === "number");
  return Boolean(okResult && okDeps);
}

/** Best effort: a cache that cannot be written only costs the next run its compile. */
function store(cache: CacheDir, key: string, result: TrialResult, files: string[] | undefined): void {
  if (!files) return;
  let deps: StampedDep[];
  try {
    deps = stampDeps(files);
  } catch {
    return; // a dependency that cannot be read: keep nothing
  }
  writeSealed(cache, entryPath(key), JSON.stringify({ result, deps } satisfies CacheEntry));
}
