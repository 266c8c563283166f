import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import type { CompileCommand } from "../model/input.js";
import type { LineMarker } from "../parse/line-markers.js";
import type { ScanSnapshot } from "../parse/scan-preprocessed.js";
import { decodeSnapshot, encodeSnapshot } from "../parse/scan-snapshot.js";
import { depsUnchanged, stampDeps, type StampedDep, type StatMemo } from "./deps.js";
import { hasIncludeGuard, headerPrefix, type HeaderPrefix } from "./header-prefix.js";

/**
 * A TU's headers, preprocessed once and kept for later fixes to the same TU.
 *
 * Preprocessing a kernel TU is ~90% headers, the same for every fix that
 * leaves the #include block alone. The first run keeps, under a key made of
 * the compile command and that block: the .i text the headers made, the scan
 * of it (scan-snapshot.ts), and a gcc precompiled header of the block, which
 * a detached gcc builds after the run (stageEntry). A later run preprocesses
 * only the rest of the file, with the PCH giving gcc the macros the headers
 * defined (-fpch-preprocess), and appends that output to the kept text: what
 * a full run's .i says, at a fraction of the cost (tcp_input.c: ~0.1 s of gcc
 * instead of 0.42 s). An entry holds while no file the headers read changed
 * (mtime and size, like the include-check cache) and the PCH is accepted by
 * gcc (else: a full run, and the entry is dropped).
 */
export interface HeaderCachePlan {
  /** The entry's directory: <cacheDir>/headers/<key>. */
  entry: string;
  prefix: HeaderPrefix;
  /** The preprocessing argv without -include files and without the input file. */
  baseArgv: string[];
  /** The -include files, as #include lines for the PCH's header. */
  forcedIncludes: string[];
  /** Where the compile command runs. */
  cwd: string;
  /** The patched .c the TU's preprocessing reads (its line markers name it). */
  mainPath: string;
  /** The whole patched .c. */
  source: string;
}

/** A usable entry: what the run preprocesses instead; load() then reads the kept part (while gcc runs). */
export interface HeaderCacheHit {
  argv: string[];
  /** The files load() reads: the kept text and its scan (to read ahead). */
  files: [prefix: string, scan: string];
  /** The kept headers' part of the .i (from the files' bytes when read ahead); undefined when it cannot be read (then: a full run). */
  load(ahead?: Array<Buffer | undefined>): KeptHeaders | undefined;
}

export interface KeptHeaders {
  /** Text of the kept headers' part of the .i, naming this run's main file. */
  prefixText: string;
  snapshot: ScanSnapshot;
}

interface EntryMeta {
  version: number;
  /** The main file the kept text names (this run's has the same length: mkdtemp). */
  mainPath: string;
  /** The kept text is all ASCII: read as latin1, the same string (decoding UTF-8 takes ~5x longer). */
  ascii?: boolean;
  deps: StampedDep[];
}

const VERSION = 1;
/** Entries kept (KLP_CCP_HEADER_CACHE_ENTRIES, default 12); the least recently used go first (a kernel TU's PCH is 40-100 MB). */
const maxEntries = (): number => {
  const n = Number(process.env.KLP_CCP_HEADER_CACHE_ENTRIES);
  return Number.isInteger(n) && n > 0 ? n : 12;
};
const BODY_PREFIX = ".klp-body-";

/** The cache plan for preprocessing `mainPath` with `ppArgv` (preprocessArgv()'s, input last); undefined when the file has no header block. */
export function planHeaderCache(o: { cacheDir: string; ppArgv: string[]; cmd: CompileCommand; mainPath: string; source: string }): HeaderCachePlan | undefined {
  const prefix = headerPrefix(o.source);
  if (!prefix) return undefined;
  const baseArgv: string[] = [];
  const forcedIncludes: string[] = [];
  const args = o.ppArgv.slice(0, -1);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "-include" && i + 1 < args.length) {
      const f = args[++i]!;
      const local = isAbsolute(f) ? f : resolve(o.cmd.cwd, f);
      forcedIncludes.push(existsSync(local) ? local : f);
    } else baseArgv.push(args[i]!);
  }
  const key = createHash("sha256").update(JSON.stringify([VERSION, baseArgv, forcedIncludes, o.cmd.cwd, dirname(o.mainPath).length, basename(o.mainPath), prefix.text])).digest("hex").slice(0, 24);
  return { entry: join(o.cacheDir, "headers", key), prefix, baseArgv, forcedIncludes, cwd: o.cmd.cwd, mainPath: o.mainPath, source: o.source };
}

/** The plan's entry if it is there and still holds; writes the body file the returned argv preprocesses. */
export function lookupHeaders(plan: HeaderCachePlan, stats?: StatMemo): HeaderCacheHit | undefined {
  let meta: EntryMeta;
  try {
    meta = JSON.parse(readFileSync(join(plan.entry, "meta.json"), "utf8")) as EntryMeta;
    if (meta.version !== VERSION || meta.mainPath.length !== plan.mainPath.length || !existsSync(join(plan.entry, "prefix.h.gch"))) return undefined;
    if (!depsUnchanged(meta.deps, stats)) return undefined;
  } catch {
    return undefined;
  }
  const now = new Date();
  try {
    utimesSync(join(plan.entry, "meta.json"), now, now); // least recently used goes first
  } catch {
    // read-only cache: no matter
  }
  // Quote includes search the including file's directory: the body sits beside the patched file.
  const body = join(dirname(plan.mainPath), `${BODY_PREFIX}${basename(plan.mainPath)}`);
  const rest = plan.source.split("\n").slice(plan.prefix.lines).join("\n");
  writeFileSync(body, `#include ${cString(join(plan.entry, "prefix.h"))}\n#line ${plan.prefix.lines + 1} ${cString(plan.mainPath)}\n${rest}`);
  const files: HeaderCacheHit["files"] = [join(plan.entry, "prefix.i"), join(plan.entry, "scan.bin")];
  return { argv: [...plan.baseArgv, "-fpch-preprocess", "-Winvalid-pch", body], files, load: (ahead) => loadKept(plan, meta, files, ahead ?? []) };
}

function loadKept(plan: HeaderCachePlan, meta: EntryMeta, [prefixFile, scanFile]: HeaderCacheHit["files"], [prefixBytes, scanBytes]: Array<Buffer | undefined>): KeptHeaders | undefined {
  try {
    // Same length: offsets in the kept scan stay right.
    const encoding = meta.ascii ? "latin1" : "utf8";
    const prefixText = (prefixBytes ? prefixBytes.toString(encoding) : readFileSync(prefixFile, encoding)).replaceAll(meta.mainPath, plan.mainPath);
    // The .i starts by naming its main file: a text that names another (an entry replaced while it was read) is not this entry's.
    if (!prefixText.slice(0, 4096).includes(`"${plan.mainPath}"`)) return undefined;
    const snapshot = decodeSnapshot(scanBytes ?? readFileSync(scanFile));
    if (snapshot.length !== prefixText.length) return undefined;
    for (const m of snapshot.markers) if (m.file === meta.mainPath) m.file = plan.mainPath;
    if (snapshot.curFile === meta.mainPath) snapshot.curFile = plan.mainPath;
    return { prefixText, snapshot };
  } catch {
    return undefined;
  }
}

/**
 * Passes on the body run's output from the line after gcc's
 * `#pragma GCC pch_preprocess` (what comes before it is gcc's built-in and
 * command-line macros, which the kept text has already), made to read as
 * the same part of a full run does:
 * - The next line is the marker `#line` made. Where the kept text ends inside
 *   a header, a full run has that marker with flag 2 (back from an #include)
 *   and gets the flag here; where it ends in the main file (the last #include
 *   was skipped by its guard), a full run goes on without it, and so does this.
 * - A PCH does not carry gcc's list of guarded headers it has read, so a
 *   header the kept part read is entered again, empty, where a full run
 *   skips it: such an enter/leave pair becomes a plain marker, lest the
 *   include tree credit the #include with that header.
 * `used()` is false when the pragma never came: gcc did not take the PCH.
 */
export function afterPchPragma(o: { returning: boolean; skips: (file: string) => boolean }, onOutput: (piece: string) => void): { push(piece: string): void; end(): void; used(): boolean } {
  let state: "prelude" | "marker" | "body" = "prelude";
  let head = "";
  const emit = (text: string): void => {
    if (text) onOutput(text.includes('" 1\n# ') ? text.replace(EMPTY_ENTRY, (m, file: string, line: string, back: string) => (o.skips(unescape(file)) ? `# ${line} "${back}"\n` : m)) : text);
  };
  const push = (piece: string): void => {
    head += piece;
    if (state === "prelude") {
      const at = head.indexOf("\n#pragma GCC pch_preprocess ");
      const end = at < 0 ? -1 : head.indexOf("\n", at + 1);
      if (end < 0) return;
      state = "marker";
      head = head.slice(end + 1);
    }
    if (state === "marker") {
      const nl = head.indexOf("\n");
      if (nl < 0) return;
      state = "body";
      const line = head.slice(0, nl);
      const marker = line.startsWith("# ");
      head = marker && !o.returning ? head.slice(nl + 1) : `${marker ? `${line} 2` : line}${head.slice(nl)}`;
    }
    // Whole lines only, and an enter marker waits for the line after it.
    let cut = head.lastIndexOf("\n") + 1;
    const lastLine = head.lastIndexOf("\n", cut - 2) + 1;
    if (cut > 0 && /^# 1 ".*" 1\n$/.test(head.slice(lastLine, cut))) cut = lastLine;
    emit(head.slice(0, cut));
    head = head.slice(cut);
  };
  return {
    push,
    end: () => {
      if (state === "body") emit(head);
      head = "";
    },
    used: () => state !== "prelude",
  };
}

const EMPTY_ENTRY = /^# 1 "((?:[^"\\]|\\.)*)" 1\n# (\d+) "((?:[^"\\]|\\.)*)" 2\n/gm;
const unescape = (s: string) => s.replace(/\\(.)/g, "$1");

/** A file gcc skips when included again after the kept part read it: it has an include guard (cached per file). */
export function skippedOnceRead(snapshot: ScanSnapshot, cwd: string): (file: string) => boolean {
  const readFiles = new Set(enteredFiles(snapshot));
  const known = new Map<string, boolean>();
  return (file) => {
    if (!readFiles.has(file)) return false;
    let guarded = known.get(file);
    if (guarded === undefined) {
      try {
        guarded = hasIncludeGuard(readFileSync(resolve(cwd, file), "utf8"));
      } catch {
        guarded = false;
      }
      known.set(file, guarded);
    }
    return guarded;
  };
}

/**
 * Where the headers' part of a full run's .i ends: the start of the first
 * line that comes from the main file's lines after the block (line markers
 * just before it included). -1 when there is none.
 */
export function prefixEnd(markers: LineMarker[], lineStarts: number[], mainPath: string, prefixLines: number): number {
  for (let k = 0; k < markers.length; k++) {
    const m = markers[k]!;
    if (m.file !== mainPath) continue;
    const nextMarker = k + 1 < markers.length ? markers[k + 1]!.iLine : lineStarts.length;
    // .i line m.iLine + 1 + j holds line m.line + j of the file.
    const first = m.iLine + 1 + Math.max(0, prefixLines + 1 - m.line);
    if (first >= nextMarker) continue;
    let split = first;
    // The main file's markers announcing it belong to it (not a header's, even when adjacent).
    for (let b = k; b >= 0 && markers[b]!.iLine === split - 1 && markers[b]!.file === mainPath; b--) split--;
    return split < lineStarts.length ? lineStarts[split]! : -1;
  }
  return -1;
}

/**
 * Stages the plan's entry in `<entry>.building` (all but the PCH: the kept
 * text, its scan, the header and what the headers read, stamped now) and
 * returns the argv that finishes it, to run detached: gcc builds the PCH
 * (1-3 s), then the directory moves into place, or `<entry>.failed` stays
 * so that no later run tries again. Undefined when another run is building
 * it, or gcc failed on it before.
 */
export function stageEntry(plan: HeaderCachePlan, prefixText: string, snapshot: ScanSnapshot, files: string[]): string[] | undefined {
  const dir = `${plan.entry}.building`;
  if (existsSync(`${plan.entry}.failed`)) return undefined;
  try {
    mkdirSync(dirname(dir), { recursive: true });
    try {
      mkdirSync(dir); // the lock: one build per entry
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || Date.now() - statSync(dir).mtimeMs < STALE_BUILD_MS) return undefined;
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
    }
    const forced = plan.forcedIncludes.map((f) => `#include ${cString(f)}\n`).join("");
    writeFileSync(join(dir, "prefix.h"), `${forced}#line 1 ${cString(plan.mainPath)}\n${plan.prefix.text}`);
    writeFileSync(join(dir, "prefix.i"), prefixText);
    writeFileSync(join(dir, "scan.bin"), encodeSnapshot(snapshot));
    const ascii = Buffer.byteLength(prefixText, "utf8") === prefixText.length;
    const meta: EntryMeta = { version: VERSION, mainPath: plan.mainPath, ascii, deps: stampDeps(files) };
    writeFileSync(join(dir, "meta.json"), JSON.stringify(meta));
    evict(dirname(plan.entry));
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  const flags = plan.baseArgv.filter((a) => a !== "-E" && a !== "-dD" && a !== "-dI");
  return ["/bin/sh", "-c", FINISH_ENTRY, "sh", dir, plan.entry, ...flags, "-x", "c-header", "-o", join(dir, "prefix.h.gch"), join(dir, "prefix.h")];
}

const FINISH_ENTRY = 'dir=$1 entry=$2; shift 2; if "$@" >/dev/null 2>&1; then rm -rf "$entry" && mv "$dir" "$entry"; else touch "$entry.failed"; rm -rf "$dir"; fi';
/** A building directory older than this was left by a build that died. */
const STALE_BUILD_MS = 10 * 60_000;

/** The files a full run's headers part read, from its line markers (to stamp an entry with). */
export function filesRead(snapshot: ScanSnapshot, cwd: string): string[] {
  return [...new Set(enteredFiles(snapshot).map((f) => resolve(cwd, f)))];
}

/** The files the kept part entered (markers with flag 1), as the markers name them; not <built-in> or <command-line>. */
function enteredFiles(snapshot: ScanSnapshot): string[] {
  return snapshot.markers.filter((m) => m.flags.includes(1) && !m.file.startsWith("<")).map((m) => m.file);
}

/** True while some run is still building an entry under the cache directory (for scripts that wait for it). */
export function entriesBuilding(cacheDir: string): boolean {
  try {
    return readdirSync(join(cacheDir, "headers")).some((n) => n.endsWith(".building"));
  } catch {
    return false;
  }
}

/** Forgets an entry gcc would not take. */
export function dropEntry(plan: HeaderCachePlan): void {
  rmSync(plan.entry, { recursive: true, force: true });
}

function evict(headersDir: string): void {
  const entries = readdirSync(headersDir)
    .filter((n) => /^[0-9a-f]+$/.test(n))
    .map((n) => {
      try {
        return { n, t: statSync(join(headersDir, n, "meta.json")).mtimeMs };
      } catch {
        return { n, t: 0 };
      }
    })
    .sort((a, b) => b.t - a.t);
  // One place is for the entry being staged.
  for (const e of entries.slice(Math.max(0, maxEntries() - 1))) rmSync(join(headersDir, e.n), { recursive: true, force: true });
}

/** A C string literal of a path (for #include and #line). */
function cString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
