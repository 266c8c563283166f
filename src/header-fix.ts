import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
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
import { ipaTargets } from "./closure/ipa-targets.js";
import { loadTu, planTu } from "./analyse-tu.js";
import { timed, type StageTimer } from "./timings.js";
import type { TuInputs } from "./tu-inputs.js";

/** A fix that changes only headers' inline functions: what every TU that includes them is analysed with. */
export interface HeaderFix {
  /** The changed inline functions, by name (each with the header line that changed it). */
  changed: ChangedFunction[];
  /** The TUs of the build tree that include a changed header (.c paths relative to src), sorted. */
  users: string[];
  /** The -I options that put the patched headers first. */
  includes: string[];
  overlay: { dir: string; headers: Map<string, string> };
}

/**
 * A fix of header files only, every one under an include root, whose changes
 * are inline function bodies: the functions and the TUs that include the
 * headers. Undefined when the fix is of another shape (the caller refuses a
 * changed header with KLP-E020 then, as before). A changed type or variable in
 * a header is refused here (KLP-E021/E022, as in a .c file); TUs without an
 * IPA clone dump get one (`prepare`) when --build is writable, or KLP-E059.
 */
export function planHeaderFix(o: { patch: PatchSet; patched: Map<string, string>; src: string; build: string; ipaDir: string; work: string; sink: DiagnosticSink; timer?: StageTimer; progress?: (m: string) => void }): HeaderFix | undefined {
  const files = o.patch.files;
  if (files.length === 0 || files.some((f) => !f.path.endsWith(".h") || f.change.kind !== "modify")) return undefined;
  const tree = join(o.work, "tree");
  const includes = overlayIncludes(files.map((f) => f.path), tree);
  if (!includes) return undefined;
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
  if (changed.length === 0) return undefined;
  for (const d of touchedSink.items) o.sink.report(d);
  const { users } = timed(o.timer, "read inputs", () => findHeaderUsers({ src: o.src, build: o.build, headers: files.map((f) => f.path) }));
  const all = [...new Set([...users.values()].flat())].sort();
  if (all.length === 0) return undefined;
  const undumped = all.filter((tu) => !existsSync(join(o.ipaDir, `${tu}.000i.ipa-clones`)));
  if (undumped.length > 0) makeDumps(o, undumped, files[0]!.hunks[0]!.location);
  return { changed, users: all, includes, overlay: { dir: tree, headers: new Map(files.map((f) => [f.path, o.patched.get(f.path)!])) } };
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
 * as for an inline of a .c file); the others are skipped (KLP-W020).
 */
export function analyseHeaderUsers(o: TuInputs & { fix: HeaderFix; title: string; progress?: (m: string) => void }): TuPart[] {
  const found: Array<{ relPath: string; plan: TuPart["plan"] }> = [];
  const skipped: string[] = [];
  const names = o.fix.changed.map((c) => c.name);
  const why = new Map(o.fix.changed.map((c) => [c.name, c.why]));
  for (const [i, relPath] of o.fix.users.entries()) {
    o.progress?.(`header fix: TU ${i + 1} of ${o.fix.users.length} (${relPath})`);
    const cmd = readCompileCommand(o.build, relPath, o.sink);
    if (!cmd) throw new StageFailed("kbuild");
    const command = { ...cmd, argv: [cmd.argv[0]!, ...o.fix.includes, ...cmd.argv.slice(1)] };
    const inputs: TuInputs = { ...o, command, overlay: o.fix.overlay, progress: () => undefined };
    const mainPath = join(o.src, relPath);
    const ctx = loadTu(inputs, relPath, mainPath, readFileSync(mainPath, "utf8"));
    const defined = names.filter((n) => (ctx.tu.decls.get(n) ?? []).some((d) => d.kind === "function" && ctx.homeOf(d) === "header"));
    const reaching = o.symbols ? defined.filter((n) => ipaTargets({ ctx, changed: [n], symbols: o.symbols!, sink: new DiagnosticSink() }).length > 0) : defined;
    if (reaching.length === 0) {
      skipped.push(relPath);
      continue;
    }
    found.push({ relPath, plan: planTu(inputs, ctx, reaching.map((name) => ({ name, why: why.get(name)! })), o.title, true) });
  }
  if (skipped.length > 0) {
    o.sink.report({ code: "KLP-W020", severity: "warning", location: o.fix.changed[0]!.hunk, message: `${skipped.length} of the ${o.fix.users.length} TUs that include the changed header run none of its changed code in a function of the running kernel, and are skipped: ${skipped.join(", ")}` });
  }
  if (found.length === 0) {
    o.sink.report({ code: "KLP-E040", severity: "error", location: o.fix.changed[0]!.hunk, message: `nothing to replace: none of the ${o.fix.users.length} TUs that include the changed header runs ${names.join(", ")} in a function of the running kernel`, hint: "check --symbols, and that the TUs' IPA clone dumps are the kernel's" });
    throw new StageFailed("empty");
  }
  const keys = partKeys(found.map((f) => f.relPath));
  return found.map((f, i) => ({ ...f, key: keys[i]!, plan: found.length > 1 ? { ...f.plan, name: `${o.name}_${keys[i]!}` } : f.plan }));
}
