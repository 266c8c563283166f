import { cacheKey } from "../cache/layout.js";
import { rmSync, writeFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { run } from "./run.js";
import { readDeps } from "./deps.js";
import type { StatMemo } from "../cache/file-stamps.js";
import { moduleArgv } from "./trial-compile.js";
import { makeScratchDir } from "../util/scratch-dir.js";
import type { CacheDir } from "../model/cache.js";
import { lookupAnswer, storeAnswer } from "../cache/compile-answers.js";

/** One error gcc reported. */
export interface CompileError {
  /** Absolute path, or the generated file's own name (`NAME.c`). */
  file: string;
  line: number;
  column: number;
  /** gcc's message after `error: `. */
  message: string;
}

/** What compiling the whole generated module found. */
export interface ModuleCompile {
  ok: boolean;
  /** Errors in the order gcc reported them (the first is the one to show). */
  errors: CompileError[];
  /** Without an error line: gcc's first line of output (a compiler that could not run). */
  failure?: string;
  /**
   * The generated file's part of its preprocessed text (`gcc -E`): the lines
   * the line markers give to it, with those markers, which name it `NAME.c`.
   * What the equivalence check compares; empty when preprocessing failed.
   */
  preprocessed: string;
  /** True when the answer came from the cache (nothing was compiled). */
  cached?: boolean;
}

/** True for a ModuleCompile as it was kept. */
function isModuleCompile(r: unknown): r is ModuleCompile {
  const m = r as Partial<ModuleCompile> | undefined;
  const okErrors = Array.isArray(m?.errors) && m.errors.every((e) => e && typeof e.file === "string" && Number.isInteger(e.line) && Number.isInteger(e.column) && typeof e.message === "string");
  return Boolean(m && typeof m.ok === "boolean" && okErrors && typeof m.preprocessed === "string" && (m.failure === undefined || typeof m.failure === "string"));
}

/** Bumped when what is kept changes: older entries are then never read. */
const ENTRY_VERSION = "module-compile 3";

/**
 * Compiles the generated module as kbuild would (the TU's command, -DMODULE),
 * syntax only, in two steps: `gcc -E` (which also gives the text the
 * equivalence check compares), then `-fsyntax-only` on that text (stdin); together
 * they cost what one -fsyntax-only run does. `__FILE__` is the file's bare
 * name (-fmacro-prefix-map), so the text does not depend on the scratch
 * directory. With `cacheDir`, the answer is kept by the exact command and
 * text plus the files gcc read (mtime and size, see trialCompile).
 */
export function compileModule(compile: { argv: string[]; cwd: string }, fileName: string, text: string, cacheDir?: CacheDir, beforeCompile?: () => void, stats?: StatMemo): ModuleCompile {
  const syntaxOnly = moduleArgv(compile.argv);
  const key = cacheKey("includes", "module", ENTRY_VERSION, syntaxOnly, compile.cwd, fileName, text);
  const cached = cacheDir ? lookupAnswer(cacheDir, key, stats, isModuleCompile) : undefined;
  if (cached) return { ...cached, cached: true };
  beforeCompile?.();
  const dir = makeScratchDir("module");
  try {
    const file = join(dir, fileName);
    const depFile = join(dir, "module.d");
    writeFileSync(file, text);
    const common = [...syntaxOnly.slice(0, -1), `-fmacro-prefix-map=${dir}/=`];
    const pp = run([...common, "-E", "-MD", "-MF", depFile, file], compile.cwd);
    const cc = pp.status === 0 ? run([...common, "-fsyntax-only", "-x", "cpp-output", "-"], compile.cwd, pp.stdout) : undefined;
    const stderr = cc?.stderr ?? pp.stderr;
    const errors = compileErrors(stderr, compile.cwd, file, fileName, lineDirectives(text));
    const ok = pp.status === 0 && cc?.status === 0;
    const result: ModuleCompile = {
      ok,
      errors,
      ...(!ok && errors.length === 0 ? { failure: firstErrorLine(stderr) ?? `exit status ${cc?.status ?? pp.status}` } : {}),
      preprocessed: pp.status === 0 ? ownLines(pp.stdout, file, fileName) : "",
    };
    // A compiler that could not run (status 127) is not an answer to keep.
    if (cacheDir && pp.status !== 127 && cc?.status !== 127) storeAnswer(cacheDir, key, result, readDeps(depFile, compile.cwd, file));
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function compileErrors(stderr: string, cwd: string, file: string, fileName: string, directives: LineDirective[]): CompileError[] {
  const errors: CompileError[] = [];
  for (const line of stderr.split("\n")) {
    // No column past gcc's 4096th (a macro's expansion is one line of the preprocessed text).
    const m = /^(.+?):(\d+):(?:(\d+):)? (?:fatal )?error: (.*)$/.exec(line);
    if (!m) continue;
    // gcc quotes with ‘’ in a UTF-8 locale and '' otherwise: the same message either way.
    const message = m[4]!.replace(/[‘’]/g, "'");
    const own = generatedLine(directives, m[1]!, Number(m[2]));
    if (own !== undefined) {
      errors.push({ file: fileName, line: own, column: Number(m[3] ?? 0), message });
      continue;
    }
    const path = isAbsolute(m[1]!) ? m[1]! : resolve(cwd, m[1]!);
    errors.push({ file: path === file ? fileName : path, line: Number(m[2]), column: Number(m[3] ?? 0), message });
  }
  return errors;
}

/** Without an error gcc placed: its first line that says "error" (not "In file included from"), else its first. */
function firstErrorLine(stderr: string): string | undefined {
  const lines = stderr.trim().split("\n");
  return lines.find((l) => /\berror\b/.test(l)) ?? lines[0];
}

/** A `#line N "name"` of the generated file: on its line `at` (1-based). */
interface LineDirective {
  at: number;
  line: number;
  name: string;
}

function lineDirectives(text: string): LineDirective[] {
  const out: LineDirective[] = [];
  text.split("\n").forEach((l, i) => {
    const m = /^#line (\d+) ("(?:[^"\\]|\\.)*")$/.exec(l);
    if (m) out.push({ at: i + 1, line: Number(m[1]), name: JSON.parse(m[2]!) as string });
  });
  return out;
}

/**
 * The generated file's line that gcc names `name:line` because a `#line`
 * (render/view.ts: a copied function keeps its original's lines) said so;
 * undefined when no directive's stretch holds it.
 */
function generatedLine(directives: LineDirective[], name: string, line: number): number | undefined {
  for (let k = 0; k < directives.length; k++) {
    const d = directives[k]!;
    if (d.name !== name || line < d.line) continue;
    const at = d.at + 1 + line - d.line;
    if (at < (directives[k + 1]?.at ?? Infinity)) return at;
  }
  return undefined;
}

/**
 * The lines of a .i that line markers give to `file`, with those markers
 * (renamed `fileName`). A marker without flags while in `file` is a `#line`
 * of the file itself (a copied function under its original's name and
 * lines): kept as it is, and what follows is still the file's.
 */
export function ownLines(text: string, file: string, fileName: string): string {
  // Only the `# ` lines are looked at one by one; the lines between two of them are
  // taken (or not) as one slice. Measured on kernel/fork.c's module (4.4 MB, ~10^5 lines):
  // from 50-230 ms (a split into lines; the first call is the slow one) to ~20 ms.
  let out = "";
  let mine = false;
  const quoted = JSON.stringify(file);
  const renamed = JSON.stringify(fileName);
  let from = 0; // where to look for the next `# ` line
  let kept = 0; // the text before it is handed out (or dropped)
  for (;;) {
    const start = nextHashLine(text, from);
    if (start < 0) break;
    const nl = text.indexOf("\n", start);
    const end = nl < 0 ? text.length : nl;
    const m = MARKER.exec(text.slice(start, end));
    if (m) {
      if (mine) out += text.slice(kept, start);
      mine = m[1] === quoted || m[1] === renamed || (mine && m[2] === undefined);
      if (mine) out += `${text.slice(start, end).replace(quoted, renamed)}\n`;
      kept = end + 1;
    }
    if (nl < 0) break;
    from = end + 1;
  }
  // The rest (split("\n") makes the text after the last newline a line, even when empty).
  if (mine && kept <= text.length) out += `${text.slice(kept)}\n`;
  return out === "" ? "\n" : out;
}

/** The start of the first line at or after `from` (a line's start) that begins with `# `; -1 when none. */
function nextHashLine(text: string, from: number): number {
  if (text.startsWith("# ", from)) return from;
  const i = text.indexOf("\n# ", from);
  return i < 0 ? -1 : i + 1;
}

/** A line marker (`# LINE "FILE" FLAGS`). */
const MARKER = /^# \d+ ("(?:[^"\\]|\\.)*")( \d+)*$/;
