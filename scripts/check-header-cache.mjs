// scripts/check-header-cache.mjs CASE_DIR...        (run by scripts/test-kernel.sh)
//
// The header cache (src/kbuild/header-cache.ts) must give the same preprocessed
// TU as a full run. For each case's fix and each .c file of it: preprocess the patched TU with an empty
// cache (a full run, which keeps the headers: the scan of their part of the .i, and
// a PCH gcc builds in the background); then again from another work directory,
// which takes the kept headers and preprocesses only the rest of the file. That .i must say
// what the first says (originLines(): every line with its origin, every #include
// entered and left; gcc may lay out markers and blank lines differently), and its
// index (files, include tree, every file-scope declaration) must be the first's.
// Needs `npm run build` and the test bed (eval "$(scripts/testbed/env.sh)"), with
// each case's TU compiled once (scripts/testbed/prepare-build.sh FILE.c).
// Prints one line per case; exit 1 when one differs or fails.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkEachCase } from "./each-case.mjs";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = (m) => import(join(REPO, "dist", m));
const { readPatch } = await dist("input/diff.js");
const { applyPatch } = await dist("kbuild/apply-patch.js");
const { startPreprocess } = await dist("start-preprocess.js");
const { DiagnosticSink } = await dist("diagnostics/diagnostic.js");
const { originLines } = await dist("parse/line-markers.js");
const { entriesBuilding } = await dist("kbuild/header-cache.js");
const { openCacheDir } = await dist("cache/open-cache-dir.js");
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

const { SRC, BUILD } = process.env;
if (!SRC || !BUILD) {
  process.stderr.write('check-header-cache: set SRC and BUILD (eval "$(scripts/testbed/env.sh)")\n');
  process.exit(2);
}
checkEachCase("hc-check", process.argv.slice(2), (patchFile, dir) => {
  const verdict = check(patchFile, dir);
  return { ok: !verdict, detail: verdict };
});

/** Undefined when the kept headers give the full run's .i for every .c file of the fix; else what differs. */
function check(patchFile, dir) {
  const patch = readPatch(patchFile, readFileSync(patchFile), new DiagnosticSink());
  // A fix that changes headers is preprocessed with the patched ones first and never from kept
  // headers (start-preprocess.ts: `includes`), so there is nothing to compare.
  if ((patch?.files ?? []).some((f) => f.path.endsWith(".h"))) return undefined;
  const cFiles = [...new Set((patch?.files ?? []).map((f) => f.path).filter((p) => p.endsWith(".c")))];
  for (const [i, relPath] of cFiles.entries()) {
    const verdict = checkTu(patchFile, join(dir, `tu${i}`), relPath);
    if (verdict) return cFiles.length > 1 ? `${relPath}: ${verdict}` : verdict;
  }
  return undefined;
}

/** check() for one TU of the fix. */
function checkTu(patchFile, dir, relPath) {
  mkdirSync(dir, { recursive: true });
  const cacheDir = join(dir, "cache");
  const run = () => {
    const sink = new DiagnosticSink();
    const text = readFileSync(patchFile, "utf8");
    const patch = readPatch(patchFile, text, sink);
    if (!patch) return { error: sink.items.map((d) => d.message).join("; ") };
    const work = mkdtempSync(join(dir, "w"));
    const patched = applyPatch(patch, text, SRC, join(work, "tree"), sink);
    if (!patched) return { error: sink.items.map((d) => d.message).join("; ") };
    const started = startPreprocess({ relPath, patched, src: SRC, build: BUILD, work, cacheDir: openCacheDir(cacheDir, sink) });
    if (!started) return { skip: "not a .c file" };
    const mainPath = join(work, "tree", started.relPath);
    try {
      const pp = started.wait({ sink });
      started.keepHeaders();
      return { text: pp.tu.text.replaceAll(mainPath, "MAIN"), scan: scanOf(pp.tu, mainPath), kept: started.usedKeptHeaders() };
    } catch (e) {
      return { error: `${e instanceof Error ? (process.env.KLP_HC_STACK ? e.stack : e.message) : String(e)}: ${sink.items.map((d) => d.message).join("; ")}` };
    } finally {
      started.cancel();
      rmSync(work, { recursive: true, force: true });
    }
  };
  // With an empty cache: a full run, which stages the headers (gcc builds their PCH in the background).
  const plain = run();
  if (plain.skip || plain.error) return plain.error;
  if (plain.kept) return "the first run found kept headers in an empty cache";
  for (const t0 = Date.now(); entriesBuilding(cacheDir) && Date.now() - t0 < 120_000; ) sleep(50);
  const kept = run();
  if (kept.error) return `from the kept headers: ${kept.error}`;
  if (!kept.kept) return "the second run did not take the kept headers";
  const [a, b] = [withoutEmptyReentries(originLines(plain.text)), withoutEmptyReentries(originLines(kept.text))];
  const same = a.length === b.length && a.every((l, i) => l === b[i]);
  const differs = Object.keys(plain.scan).filter((k) => plain.scan[k] !== kept.scan[k]);
  if (same && differs.length === 0) return undefined;
  if (!same) {
    if (process.env.KLP_HC_DUMP) {
      writeFileSync(join(process.env.KLP_HC_DUMP, "plain.i"), plain.text);
      writeFileSync(join(process.env.KLP_HC_DUMP, "kept.i"), kept.text);
    }
    const at = a.findIndex((l, i) => l !== b[i]);
    return `the .i differs at its ${at + 1}th line: ${JSON.stringify(a[at]?.slice(0, 120))} vs ${JSON.stringify(b[at]?.slice(0, 120))}`;
  }
  const detail = (k) => {
    const [a2, b2] = [JSON.parse(plain.scan[k]), JSON.parse(kept.scan[k])];
    const at = a2.findIndex((x, i) => JSON.stringify(x) !== JSON.stringify(b2[i]));
    return `${k}: ${JSON.stringify(a2[at]).slice(0, 300)} vs ${JSON.stringify(b2[at]).slice(0, 300)}`;
  };
  return `the .i says the same but its index differs in ${differs.map(detail).join("; ")}`;
}

/** The TU's index, as comparable text: names looked up through it, the include tree, the files. */
function scanOf(tu, mainPath) {
  const rename = (s) => s.replaceAll(mainPath, "MAIN");
  const decls = [];
  // Where gcc laid out markers differently, offsets differ: declarations are compared by origin.
  for (const [name, list] of tu.decls.inFiles(() => true)) decls.push([name, list.map((d) => [d.kind, d.storage, d.file, d.line, rename(tu.text.slice(d.start, d.end)).replace(/\s+/g, " ").slice(0, 200)])]);
  return {
    files: rename(JSON.stringify([...tu.files].sort())),
    includes: rename(JSON.stringify(firstInclusions(tu.includeTree).map(([k, v]) => [k, [...v].sort()]).sort())),
    decls: rename(JSON.stringify(decls.sort((x, y) => (x[0] < y[0] ? -1 : 1)))),
  };
}

/**
 * Drops an empty re-entry of a header entered before (`> F` straight followed by `< G`): gcc
 * re-enters an include-guarded header whose guard it did not record (fs/smb/client's
 * dfs_cache.h, included twice) and leaves it at once, where the kept headers, which know the
 * guard, say nothing. No line comes from it either way.
 */
function withoutEmptyReentries(lines) {
  const entered = new Set();
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith("> ") && entered.has(l) && lines[i + 1]?.startsWith("< ")) {
      i++;
      continue;
    }
    if (l.startsWith("> ")) entered.add(l);
    out.push(l);
  }
  return out;
}

/** The include tree with each file under its first #include only: a later one of a guarded header is void (withoutEmptyReentries). */
function firstInclusions(includeTree) {
  const seen = new Set();
  return [...includeTree].map(([k, v]) => {
    const first = [...v].filter((f) => !seen.has(f));
    for (const f of v) seen.add(f);
    return [k, first];
  });
}
