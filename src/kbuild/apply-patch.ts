import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { FilePatch, PatchSet } from "../model/input.js";
import { splitLines } from "../input/diff.js";
import { run } from "./run.js";
import { makeScratchDir } from "../util/scratch-dir.js";

/**
 * Applies the patch to copies of the files it touches under `workDir` (never
 * to the kernel tree) with GNU patch, the reference implementation of
 * unified-diff application. Offsets are fine; fuzz is not (--fuzz=0): a
 * hunk whose context differs was written for other code, and a livepatch
 * must not guess. A hunk GNU patch applied at an offset (a fix made for a
 * nearby kernel version) is moved to where it applied: its line numbers in
 * `patch` are shifted in place, so later stages map the lines that changed.
 *
 * Takes a patch whose files are all modified in place (checkFileChanges) and
 * whose paths readPatch checked (relative, no `..`). Each file is copied
 * from its real path, which must lie inside --src (a symbolic link out of
 * the tree is refused), and GNU patch gets one file's hunks at a time with
 * a name of ours: no name from the patch reaches it.
 * `onTopOf`: paths an earlier patch of the same fix (several --patch) left
 * patched under `workDir`, which this one changes further.
 * Returns the patched texts by relative path, or undefined after reporting.
 */
export function applyPatch(patch: PatchSet, patchText: string | Buffer, src: string, workDir: string, sink: DiagnosticSink, onTopOf?: ReadonlySet<string>): Map<string, string> | undefined {
  const tree = bytesPath(workDir);
  const srcReal = realpathSync.native(src);
  // Files an earlier patch of the same fix already changed under workDir: this one applies on top.
  const copied = new Set<string>(onTopOf);
  for (const f of patch.files) {
    if (copied.has(f.path)) continue; // a series: the second diff applies on top of the first
    if (f.change.kind !== "modify") throw new Error(`applyPatch: ${f.path} is not modified in place (${f.change.kind}); checkFileChanges refuses that first`);
    const from = sourceFile(f, src, srcReal, sink);
    if (!from) return undefined;
    const to = posix.join(tree, pathBytes(f));
    if (!to.startsWith(`${tree}/`)) throw new Error(`applyPatch: ${f.path} leaves the scratch tree`);
    mkdirSync(Buffer.from(dirname(to), "latin1"), { recursive: true });
    copyFileSync(from, Buffer.from(to, "latin1"));
    copied.add(f.path);
  }
  const lines = splitLines(typeof patchText === "string" ? Buffer.from(patchText, "utf8") : patchText);
  const staging = makeScratchDir("apply");
  let ok = true;
  try {
    for (const f of patch.files) ok = applyFile(f, lines, Buffer.from(posix.join(tree, pathBytes(f)), "latin1"), staging, sink) && ok;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  if (!ok) return undefined;
  const out = new Map<string, string>();
  for (const f of patch.files) out.set(f.path, readFileSync(Buffer.from(posix.join(tree, pathBytes(f)), "latin1"), "utf8"));
  return out;
}

/**
 * Applies the patches in order, each with its own bytes (applyPatch); a file
 * that two of them change gets the second's diff on top of the first's.
 */
export function applyPatches(patches: Array<{ patch: PatchSet; bytes: Buffer }>, src: string, tree: string, sink: DiagnosticSink): Map<string, string> | undefined {
  const out = new Map<string, string>();
  for (const { patch, bytes } of patches) {
    const patched = applyPatch(patch, bytes, src, tree, sink, new Set(out.keys()));
    if (!patched) return undefined;
    for (const [path, text] of patched) out.set(path, text);
  }
  return out;
}

/** The real path of the file to copy, checked to be a regular file inside --src; undefined after reporting. */
function sourceFile(f: FilePatch, src: string, srcReal: string, sink: DiagnosticSink): Buffer | undefined {
  const path = Buffer.from(posix.join(bytesPath(src), pathBytes(f)), "latin1");
  const refuse = (message: string, hint: string) => {
    sink.report({ code: "KLP-E003", severity: "error", message, location: f.location, hint });
    return undefined;
  };
  if (!existsSync(path)) return refuse(`the patch changes ${f.path}, which is not in the source tree ${src}`, "check --src and the patch's a/ b/ paths");
  const real = realpathSync.native(path, { encoding: "buffer" });
  if (!real.toString("latin1").startsWith(`${bytesPath(srcReal).replace(/\/$/, "")}/`)) return refuse(`the patch changes ${f.path}, which is a symbolic link (or under one) that leads out of the source tree ${src}, to ${real.toString("utf8")}`, "klp-ccp reads only files inside --src: give the real tree as --src");
  if (!statSync(real).isFile()) return refuse(`the patch changes ${f.path}, which is not a regular file in ${src}`, "check --src and the patch's a/ b/ paths");
  if (f.latin1Name && /\.[ch]$/.test(f.path)) {
    sink.report({ code: "KLP-E020", severity: "error", message: `the patch changes ${f.path}, whose name is not UTF-8 (shown here byte by byte as latin1): the compile command and the preprocessor's line markers that later stages match it with are UTF-8 text`, location: f.location, hint: "rename the file to a UTF-8 name in the tree and the patch" });
    return undefined;
  }
  return real;
}

/** Runs GNU patch on one file's hunks (a copy named by us); reports each hunk that fails at its `@@` line. */
function applyFile(f: FilePatch, lines: Buffer[], target: Buffer, staging: string, sink: DiagnosticSink): boolean {
  const work = join(staging, "file");
  copyFileSync(target, work);
  const body = f.hunks.flatMap((h) => lines.slice(h.location.line - 1, h.location.line - 1 + h.patchLines));
  const diff = Buffer.concat([Buffer.from("--- a/file\n+++ b/file\n"), ...body.flatMap((l) => [l, Buffer.from("\n")])]);
  const r = run(["patch", "--batch", "--forward", "--no-backup-if-mismatch", "--fuzz=0", "-r", "-", "file"], staging, diff);
  const output = `${r.stdout}${r.stderr}`;
  const failed = [...output.matchAll(/^Hunk #(\d+) FAILED at (\d+)/gm)];
  const crlf = body.some((l) => l[l.length - 1] === 0x0d);
  for (const m of failed) {
    const hunk = f.hunks[Number(m[1]) - 1];
    sink.report({
      code: "KLP-E002",
      severity: "error",
      message: `${f.path}: hunk ${hunk?.header.trim() ?? `#${m[1]}`} does not apply (without fuzz; GNU patch looked near line ${m[2]})`,
      location: hunk?.location ?? f.location,
      hint: crlf ? "the patch has CRLF (\\r\\n) line ends, which GNU patch does not match with the tree's: convert it (dos2unix)" : "check that --src is the kernel version the fix was made for",
    });
  }
  if (r.status !== 0 && failed.length === 0) {
    const reversed = /Reversed \(or previously applied\)/.test(output);
    sink.report({
      code: "KLP-E002",
      severity: "error",
      message: reversed ? `${f.path}: the change is already in --src (or the patch is reversed)` : `${f.path}: GNU patch cannot apply this diff: ${output.trim().split("\n").filter((l) => !/^patching file/.test(l)).join("; ")}`,
      location: f.location,
      hint: reversed ? "give the unpatched kernel tree as --src" : "check that --src is the kernel version the fix was made for",
    });
  }
  if (r.status !== 0) return false;
  shiftToAppliedOffsets(f, r.stdout);
  copyFileSync(work, target);
  return true;
}

/** Reads `Hunk #N succeeded at L (offset K lines).` from GNU patch and shifts those hunks by K. */
function shiftToAppliedOffsets(f: FilePatch, output: string): void {
  for (const h of output.matchAll(/^Hunk #(\d+) succeeded at \d+ \(offset (-?\d+) lines?\)/gm)) {
    const hunk = f.hunks[Number(h[1]) - 1];
    if (!hunk) continue;
    const by = Number(h[2]);
    hunk.newStart += by;
    for (const l of hunk.added) l.line += by;
    for (const l of hunk.deleted) l.line += by;
  }
}

/** A path's bytes as a string, one character per byte, so that path arithmetic keeps every byte. */
function bytesPath(path: string): string {
  return Buffer.from(path, "utf8").toString("latin1");
}

/** The relative path's bytes as bytesPath() gives them: a latin1 name is already one character per byte. */
function pathBytes(f: FilePatch): string {
  return f.latin1Name ? f.path : bytesPath(f.path);
}
