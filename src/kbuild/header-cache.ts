import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { CacheDir } from "../model/cache.js";
import type { CompileCommand } from "../model/input.js";
import type { ScanSnapshot } from "../parse/tu-scan.js";
import { decodeSnapshot, encodeSnapshot } from "../parse/scan-snapshot.js";
import { cachePath, discard, ownedSafely, readCacheFile, readSealed } from "../cache/cache-files.js";
import { quickSum, seal } from "../cache/seal.js";
import { CACHE_KINDS, CACHE_LAYOUT, cacheKey } from "../cache/layout.js";
import { STALE_BUILD_MS } from "../cache/evict.js";
import { PCH_FINISH, PCH_SUM_FILE, pchMatches } from "./pch-sum.js";
import { depsUnchanged, stampDeps, type StampedDep, type StatMemo } from "../cache/file-stamps.js";
import { headerPrefix, type HeaderPrefix } from "./header-prefix.js";

export { afterPchPragma, filesRead, prefixEnd, skippedOnceRead } from "./header-stitch.js";

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
 *
 * Integrity: meta.json is sealed (cache/seal.ts) and holds the SHA-256 of
 * every other file; the PCH's is written beside it (pch-sum.ts) once gcc has
 * finished it, before the entry moves into place. A file that does
 * not match, or a scan whose numbers point outside the kept text, discards
 * the whole entry and the run preprocesses the whole TU.
 */
export interface HeaderCachePlan {
  /** The checked cache directory the entry is under. */
  cache: CacheDir;
  /** The entry's directory: <cacheDir>/headers/<key> (absolute: the PCH build runs in the build tree). */
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
  /** The kept headers' part of the .i (from the files' bytes when read ahead); undefined when it cannot be read or fails its check (then: a full run). */
  load(ahead?: Array<Buffer | undefined>): KeptHeaders | undefined;
  /** True when the PCH is the one gcc built (its checksum matches); false discards the entry. Computed once. */
  pchIntact(): boolean;
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
  /** quickSum() of prefix.h, prefix.i and scan.bin as they were written. */
  sums: Record<(typeof SUMMED)[number], string>;
}

const VERSION = CACHE_KINDS.headers.version;
const SUMMED = ["prefix.h", "prefix.i", "scan.bin"] as const;
const BODY_PREFIX = ".klp-body-";

/** The cache plan for preprocessing `mainPath` with `ppArgv` (preprocessArgv()'s, input last); undefined when the file has no header block. */
export function planHeaderCache(o: { cache: CacheDir; ppArgv: string[]; cmd: CompileCommand; mainPath: string; source: string }): HeaderCachePlan | undefined {
  const prefix = headerPrefix(o.source);
  if (!prefix) return undefined;
  const headers = cachePath(o.cache, "headers/-");
  if (!headers) return undefined;
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
  const key = cacheKey("headers", baseArgv, forcedIncludes, o.cmd.cwd, dirname(o.mainPath).length, basename(o.mainPath), prefix.text);
  return { cache: o.cache, entry: join(dirname(headers), key), prefix, baseArgv, forcedIncludes, cwd: o.cmd.cwd, mainPath: o.mainPath, source: o.source };
}

/** The plan's entry if it is there, intact and still holds; writes the body file the returned argv preprocesses. */
export function lookupHeaders(plan: HeaderCachePlan, stats?: StatMemo): HeaderCacheHit | undefined {
  const { entry } = plan;
  const st = lstatSync(entry, { throwIfNoEntry: false });
  if (!st) return undefined;
  const meta = st.isDirectory() && ownedSafely(st) ? readMeta(plan) : undefined;
  const pchSum = meta && pchSumLine(plan);
  if (!meta || !pchSum) {
    dropEntry(plan);
    return undefined;
  }
  if (meta.mainPath.length !== plan.mainPath.length || !depsUnchanged(meta.deps, stats)) return undefined;
  // Quote includes search the including file's directory: the body sits beside the patched file.
  const body = join(dirname(plan.mainPath), `${BODY_PREFIX}${basename(plan.mainPath)}`);
  const rest = plan.source.split("\n").slice(plan.prefix.lines).join("\n");
  writeFileSync(body, `#include ${cString(join(entry, "prefix.h"))}\n#line ${plan.prefix.lines + 1} ${cString(plan.mainPath)}\n${rest}`);
  const files: HeaderCacheHit["files"] = [join(entry, "prefix.i"), join(entry, "scan.bin")];
  let intact: boolean | undefined;
  return {
    argv: [...plan.baseArgv, "-fpch-preprocess", "-Winvalid-pch", body],
    files,
    load: (ahead) => loadKept(plan, meta, files, ahead ?? []),
    pchIntact: () => (intact ??= pchMatches(join(entry, "prefix.h.gch"), pchSum) || (dropEntry(plan), false)),
  };
}

/** The entry's sealed meta.json, of the right shape and version, with prefix.h as it was written; else undefined. */
function readMeta(plan: HeaderCachePlan): EntryMeta | undefined {
  const bytes = readSealed(plan.cache, relative(plan.cache.root, join(plan.entry, "meta.json")));
  if (!bytes) return undefined;
  let meta: EntryMeta;
  try {
    meta = JSON.parse(bytes.toString("utf8")) as EntryMeta;
  } catch {
    return undefined;
  }
  const ok =
    meta?.version === VERSION && typeof meta.mainPath === "string" && (meta.ascii === undefined || typeof meta.ascii === "boolean") &&
    Array.isArray(meta.deps) && meta.deps.every((d) => Array.isArray(d) && d.length === 3 && typeof d[0] === "string" && typeof d[1] === "number" && typeof d[2] === "number") &&
    typeof meta.sums === "object" && meta.sums !== null && SUMMED.every((f) => typeof meta.sums[f] === "string");
  const prefixH = ok ? readCacheFile(plan.cache, join(plan.entry, "prefix.h")) : undefined;
  return prefixH && quickSum(prefixH) === meta.sums["prefix.h"] ? meta : undefined;
}

/** The PCH's checksum line as its build wrote it (pch-sum.ts), when the PCH is a plain file; else undefined. */
function pchSumLine(plan: HeaderCachePlan): string | undefined {
  const pch = lstatSync(join(plan.entry, "prefix.h.gch"), { throwIfNoEntry: false });
  if (!pch?.isFile()) return undefined;
  const line = readCacheFile(plan.cache, join(plan.entry, PCH_SUM_FILE));
  return line && line.length < 128 ? line.toString("latin1") : undefined;
}

function loadKept(plan: HeaderCachePlan, meta: EntryMeta, [prefixFile, scanFile]: HeaderCacheHit["files"], [prefixBytes, scanBytes]: Array<Buffer | undefined>): KeptHeaders | undefined {
  const prefix = prefixBytes ?? readCacheFile(plan.cache, prefixFile);
  const scan = scanBytes ?? readCacheFile(plan.cache, scanFile);
  const kept = prefix && scan ? keptHeaders(plan, meta, prefix, scan) : undefined;
  if (!kept) dropEntry(plan);
  return kept;
}

/** The kept text and scan from their bytes, when both match their checksums and the scan fits the text. */
function keptHeaders(plan: HeaderCachePlan, meta: EntryMeta, prefix: Buffer, scan: Buffer): KeptHeaders | undefined {
  if (quickSum(prefix) !== meta.sums["prefix.i"] || quickSum(scan) !== meta.sums["scan.bin"]) return undefined;
  // Same length: offsets in the kept scan stay right.
  const prefixText = prefix.toString(meta.ascii ? "latin1" : "utf8").replaceAll(meta.mainPath, plan.mainPath);
  // The .i starts by naming its main file: a text that names another (an entry replaced while it was read) is not this entry's.
  if (!prefixText.slice(0, 4096).includes(`"${plan.mainPath}"`)) return undefined;
  const snapshot = decodeSnapshot(scan);
  if (!snapshot || snapshot.length !== prefixText.length) return undefined;
  for (const m of snapshot.markers) if (m.file === meta.mainPath) m.file = plan.mainPath;
  if (snapshot.curFile === meta.mainPath) snapshot.curFile = plan.mainPath;
  return { prefixText, snapshot };
}

/**
 * Stages the plan's entry in `<entry>.building` (all but the PCH: the kept
 * text, its scan, the header and what the headers read, stamped now, and the
 * sealed meta.json with their checksums) and returns the argv that finishes
 * it, to run detached (node, pch-sum.ts): gcc builds the PCH (1-3 s), its
 * checksum is written, then the directory moves into place, or `<entry>.failed` stays so that no
 * later run tries again. Undefined when another run is building it, or gcc
 * failed on it before.
 */
export function stageEntry(plan: HeaderCachePlan, prefixText: string, snapshot: ScanSnapshot, files: string[]): string[] | undefined {
  // The finishing command runs in the build tree: a relative path would name another place there.
  if (!isAbsolute(plan.entry)) throw new Error(`invariant: header cache entry ${plan.entry} is not absolute`);
  const dir = `${plan.entry}.building`;
  if (lstatSync(`${plan.entry}.failed`, { throwIfNoEntry: false })) return undefined;
  try {
    try {
      mkdirSync(dir, { mode: 0o700 }); // the lock: one build per entry
    } catch (e) {
      const st = lstatSync(dir, { throwIfNoEntry: false });
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || (st && Date.now() - st.mtimeMs < STALE_BUILD_MS)) return undefined;
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { mode: 0o700 });
    }
    const forced = plan.forcedIncludes.map((f) => `#include ${cString(f)}\n`).join("");
    const written = {
      "prefix.h": Buffer.from(`${forced}#line 1 ${cString(plan.mainPath)}\n${plan.prefix.text}`),
      "prefix.i": Buffer.from(prefixText),
      "scan.bin": encodeSnapshot(snapshot),
    };
    for (const f of SUMMED) writeFileSync(join(dir, f), written[f], { mode: 0o600 });
    const ascii = written["prefix.i"].length === prefixText.length;
    const sums = Object.fromEntries(SUMMED.map((f) => [f, quickSum(written[f])])) as EntryMeta["sums"];
    const meta: EntryMeta = { version: VERSION, mainPath: plan.mainPath, ascii, deps: stampDeps(files), sums };
    writeFileSync(join(dir, "meta.json"), seal(JSON.stringify(meta)), { mode: 0o600 });
    plan.cache.wrote = true; // the size bound is checked after the run (cache/evict.ts)
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  const flags = plan.baseArgv.filter((a) => a !== "-E" && a !== "-dD" && a !== "-dI");
  return [process.execPath, "-e", PCH_FINISH, dir, plan.entry, ...flags, "-x", "c-header", "-o", join(dir, "prefix.h.gch"), join(dir, "prefix.h")];
}

/** True while some run is still building an entry under the cache directory (--cache-dir's value; for scripts that wait for it). */
export function entriesBuilding(cacheDir: string): boolean {
  try {
    return readdirSync(join(cacheDir, CACHE_LAYOUT, "headers")).some((n) => n.endsWith(".building"));
  } catch {
    return false;
  }
}

/** Forgets an entry gcc would not take, or one that failed its checks (noted for the run's warning then). */
export function dropEntry(plan: HeaderCachePlan, damaged = true): void {
  if (damaged) discard(plan.cache, plan.entry);
  else rmSync(plan.entry, { recursive: true, force: true });
}

/** A C string literal of a path (for #include and #line). */
function cString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
