import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { DiagnosticSink, StageFailed } from "./diagnostics/diagnostic.js";
import type { PatchSet } from "./model/input.js";
import { partKeys, type TuPart } from "./model/livepatch-set.js";
import { parseSourceFile } from "./parse/source-file.js";
import { touchedFunctions, type ChangedFunction } from "./resolve/touched.js";
import { findHeaderUsers } from "./kbuild/header-users.js";
import { overlayIncludes } from "./kbuild/header-overlay.js";
import { readCompileCommand } from "./kbuild/compile-command.js";
import { prepareBuild } from "./kbuild/prepare.js";
import { prepareCommand } from "./decide/changed-headers.js";
import { changedInlinesReaching } from "./header-reach.js";
import { isIncludableHeader } from "./input/tu-files.js";
import { loadTu, planTu } from "./analyse-tu.js";
import { timed, type StageTimer } from "./timings.js";
import type { TuInputs } from "./tu-inputs.js";

/** A fix that changes headers (alone, or with .c files): what every TU that includes them is analysed with. */
export interface HeaderFix {
  /** The changed inline functions, by name (each with the header line that changed it). */
  changed: ChangedFunction[];
  /** The TUs of the build tree that include a changed header (.c paths relative to src), sorted; none when the headers only gain lines. */
  users: string[];
  /** The -I options that put the patched headers under an include root first. */
  includes: string[];
  overlay: { dir: string; headers: Map<string, string> };
  /** The fix's .c files (its own TUs, analysed as a patch of them with the patched headers). */
  cFiles: string[];
  /** Whether a changed header is a directory's own (found beside the .c file before any -I): its users are preprocessed from a copy in the tree. */
  privateHeaders: boolean;
}

/** The -I options that put a fix's patched headers under an include root first (none for a directory's own). */
export function fixIncludes(paths: string[], tree: string): string[] {
  return overlayIncludes(paths.filter((p) => p.endsWith(".h") && isIncludableHeader(p)), tree) ?? [];
}

/**
 * A fix of header files, alone or with .c files, whose header changes are
 * inline function bodies (or function-like macros those use), or only added
 * lines (new declarations and macros, which no TU that does not use them
 * sees): the functions and the TUs that include the headers. A header is
 * under an include root (put first with -I) or a directory's own
 * (fs/proc/internal.h; its users are preprocessed from a copy in the tree,
 * where the patched header is beside them). Undefined when the fix is of
 * another shape (the caller refuses a changed header with KLP-E069 then, as
 * before). A changed type or variable in a header is refused here
 * (KLP-E021/E022, as in a .c file); TUs without an IPA clone dump get one
 * (`prepare`) when --build is writable, or KLP-E059.
 */
export function planHeaderFix(o: { patch: PatchSet; patched: Map<string, string>; src: string; build: string; ipaDir: string; work: string; sink: DiagnosticSink; timer?: StageTimer; progress?: (m: string) => void }): HeaderFix | undefined {
  const files = o.patch.files.filter((f) => f.path.endsWith(".h"));
  const cFiles = [...new Set(o.patch.files.filter((f) => f.path.endsWith(".c")).map((f) => f.path))];
  if (files.length === 0 || o.patch.files.some((f) => !/\.[ch]$/.test(f.path) || f.change.kind !== "modify")) return undefined;
  const tree = join(o.work, "tree");
  const publicHeaders = files.map((f) => f.path).filter(isIncludableHeader);
  const includes = fixIncludes(publicHeaders, tree);
  const touchedSink = new DiagnosticSink(o.sink.forcedCodes);
  const changed: ChangedFunction[] = [];
  timed(o.timer, "resolve", () => {
    for (const f of files) {
      const original = parseSourceFile(f.path, readFileSync(join(o.src, f.path), "utf8"));
      const patched = parseSourceFile(f.path, o.patched.get(f.path)!, { after: original });
      for (const c of touchedFunctions(f, patched, original, touchedSink)) if (!changed.some((x) => x.name === c.name)) changed.push(c);
    }
  });
  // A layout change stays refused as in a .c file; a change of macros only is no inline to copy.
  if (touchedSink.hasErrors) {
    for (const d of touchedSink.items) o.sink.report(d);
    throw new StageFailed("touched");
  }
  const overlay = { dir: tree, headers: new Map(files.map((f) => [f.path, o.patched.get(f.path)!])) };
  const privateHeaders = publicHeaders.length < files.length;
  // Lines added only (a new prototype or macro for the fix's .c files): no other TU sees a change.
  if (changed.length === 0) return cFiles.length > 0 && files.every((f) => f.hunks.every((h) => h.deleted.length === 0)) ? { changed, users: [], includes, overlay, cFiles, privateHeaders } : undefined;
  for (const d of touchedSink.items) o.sink.report(d);
  const { users } = timed(o.timer, "read inputs", () => findHeaderUsers({ src: o.src, build: o.build, headers: files.map((f) => f.path) }));
  const all = [...new Set([...users.values()].flat())].sort();
  if (all.length === 0 && cFiles.length === 0) return undefined;
  const undumped = all.filter((tu) => !existsSync(join(o.ipaDir, `${tu}.000i.ipa-clones`)));
  if (undumped.length > 0) makeDumps(o, undumped, files[0]!.hunks[0]!.location);
  return { changed, users: all, includes, overlay, cFiles, privateHeaders };
}

/** The missing IPA dumps: made with prepare when --build (where they go) is writable and --ipa-clones is it, else KLP-E059. */
function makeDumps(o: { src: string; build: string; ipaDir: string; sink: DiagnosticSink; progress?: (m: string) => void }, undumped: string[], location: { file: string; line: number; column: number }): void {
  if (writable(o.build) && o.ipaDir === o.build) {
    o.progress?.(`making the IPA clone dumps of ${undumped.length} TU(s) that include the changed header (prepare)`);
    const made = prepareBuild({ src: o.src, build: o.build, makeArgs: [], files: undumped, jobs: 2, progress: o.progress ?? (() => undefined), sink: o.sink });
    if (made && !o.sink.hasErrors) return;
  } else {
    o.sink.report({ code: "KLP-E059", severity: "error", location, message: `${undumped.length} TU(s) that include the changed header have no IPA clone dump in ${o.ipaDir}, and ${o.ipaDir === o.build ? `--build ${o.build} is not writable` : "--ipa-clones is not the build tree"}, so they cannot be made on the way`, hint: `make them with: ${prepareCommand(o, undumped)}` });
  }
  throw new StageFailed("kbuild");
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Each TU that includes the changed headers, preprocessed with the patched
 * headers first (the compiler's view of the fix), gives a part when a
 * changed inline reaches a function the running kernel has (its IPA callers,
 * as for an inline of a .c file); the others are skipped (KLP-W020). One TU
 * after the other; parallel.ts runs headerUserPlan on worker threads instead.
 */
export function analyseHeaderUsers(o: TuInputs & { fix: HeaderFix; title: string; progress?: (m: string) => void; before?: Array<{ relPath: string; plan: TuPart["plan"] }> }): TuPart[] {
  const plans = o.fix.users.map((relPath, i) => {
    o.progress?.(`header fix: TU ${i + 1} of ${o.fix.users.length} (${relPath})`);
    return headerUserPlan(o, relPath);
  });
  return headerParts(o, plans, o.before);
}

/** One TU that includes the changed headers: its plan, or undefined when none of its kernel functions runs the changed code. */
export function headerUserPlan(o: TuInputs & { fix: HeaderFix; title: string }, relPath: string): TuPart["plan"] | undefined {
  const names = o.fix.changed.map((c) => c.name);
  const why = new Map(o.fix.changed.map((c) => [c.name, c.why]));
  if (o.symbols && runsNone(o, relPath, names)) return undefined;
  const cmd = readCompileCommand(o.build, relPath, o.sink);
  if (!cmd) throw new StageFailed("kbuild");
  // From a copy in the tree, the .c file's other quoted includes are found in its own directory (-iquote) as before.
  const quote = o.fix.privateHeaders ? ["-iquote", dirname(join(o.src, relPath))] : [];
  const command = { ...cmd, argv: [cmd.argv[0]!, ...o.fix.includes, ...quote, ...cmd.argv.slice(1)] };
  const inputs: TuInputs = { ...o, command, overlay: o.fix.overlay, progress: () => undefined };
  const text = readFileSync(join(o.src, relPath), "utf8");
  const ctx = loadTu(inputs, relPath, o.fix.privateHeaders ? copyIntoTree(o.src, o.fix.overlay.dir, relPath, text) : join(o.src, relPath), text);
  const reaching = changedInlinesReaching(ctx, names, o.symbols);
  if (reaching.length === 0) return undefined;
  return planTu(inputs, ctx, reaching.map((name) => ({ name, why: why.get(name)! })), o.title, true);
}

/**
 * Whether neither the TU's IPA clone dump nor its compiled object names any
 * changed inline: gcc inlined it nowhere and kept no copy of it there, so no
 * kernel function of the TU runs it, as changedInlinesReaching would find
 * after preprocessing the TU (~0.25 s of CPU; this reads two files). A name
 * found anywhere in either (even as part of another) keeps the TU.
 */
function runsNone(o: { ipaDir: string; build: string }, relPath: string, names: string[]): boolean {
  const dump = join(o.ipaDir, `${relPath}.000i.ipa-clones`);
  const object = join(o.build, relPath.replace(/\.c$/, ".o"));
  if (!existsSync(dump) || !existsSync(object)) return false;
  const records = readFileSync(dump, "latin1");
  if (names.some((n) => records.includes(`;${n};`) || records.includes(`;${n}.`))) return false;
  const bytes = readFileSync(object);
  return !names.some((n) => bytes.includes(`${n}\0`));
}

/**
 * The TU's .c file copied beside the patched private headers (an
 * `#include "internal.h"` is looked for beside the including file first),
 * unless the fix changes it (then the patched one is there already).
 */
function copyIntoTree(src: string, tree: string, relPath: string, text: string): string {
  const path = join(tree, relPath);
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  return path;
}

/**
 * The parts of a header fix: the fix's own .c files' (`before`, in patch
 * order), then each user TU's that runs the changed code (undefined: skipped,
 * KLP-W020), in the users' order; each named NAME_<key> when there are
 * several. KLP-E040 when there is none.
 */
export function headerParts(o: { fix: HeaderFix; name: string; sink: DiagnosticSink }, plans: Array<TuPart["plan"] | undefined>, before: Array<{ relPath: string; plan: TuPart["plan"] }> = []): TuPart[] {
  const names = o.fix.changed.map((c) => c.name);
  const found = [...before, ...o.fix.users.flatMap((relPath, i) => (plans[i] ? [{ relPath, plan: plans[i] }] : []))];
  const skipped = o.fix.users.filter((_, i) => !plans[i]);
  if (skipped.length > 0) {
    o.sink.report({ code: "KLP-W020", severity: "warning", location: o.fix.changed[0]!.hunk, message: `${skipped.length} of the ${o.fix.users.length} TUs that include the changed header run none of its changed code in a function of the running kernel, and are skipped: ${skipped.join(", ")}` });
  }
  if (found.length === 0) {
    o.sink.report({ code: "KLP-E040", severity: "error", location: o.fix.changed[0]!.hunk, message: `nothing to replace: none of the ${o.fix.users.length} TUs that include the changed header runs ${names.join(", ")} in a function of the running kernel`, hint: "check --symbols, and that the TUs' IPA clone dumps are the kernel's" });
    throw new StageFailed("empty");
  }
  const keys = partKeys(found.map((f) => f.relPath));
  return found.map((f, i) => ({ relPath: f.relPath, key: keys[i]!, plan: { ...f.plan, name: found.length > 1 ? `${o.name}_${keys[i]!}` : o.name } }));
}
