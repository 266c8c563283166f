import { realpathSync } from "node:fs";
import { join } from "node:path";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { FilePatch, PatchSet } from "../model/input.js";
import { readPatch } from "../input/diff.js";
import { run } from "./run.js";

export interface SquashOptions {
  /** The fix, its files in patch order (a file may come several times: a series). */
  patch: PatchSet;
  src: string;
  /** The scratch tree where every diff was applied, in order. */
  tree: string;
  sink: DiagnosticSink;
}

/**
 * A series (git format-patch of several commits, or several --patch) may
 * change one .c file in several diffs, whose later hunks count lines of the
 * file as the earlier ones left it. Such a file's diffs become one: `diff -u`
 * of the file in --src and the file with every diff applied, which is what
 * the stages after this one map to functions. Its hunks keep a place in the
 * patches the user gave: each points at the first hunk of the file's first
 * diff. Every other file is left as it is. Without GNU diff the series stays
 * as it is (tuFilesOf refuses it, KLP-E020).
 */
export function squashSeries(o: SquashOptions): PatchSet {
  const count = new Map<string, number>();
  for (const f of o.patch.files) count.set(f.path, (count.get(f.path) ?? 0) + 1);
  if (![...count.values()].some((n) => n > 1)) return o.patch;
  const files: FilePatch[] = [];
  const done = new Set<string>();
  for (const f of o.patch.files) {
    if (count.get(f.path) === 1 || f.latin1Name) {
      files.push(f);
      continue;
    }
    if (done.has(f.path)) continue;
    done.add(f.path);
    const squashed = squashFile(f, o);
    if (squashed) files.push(squashed);
    else files.push(...o.patch.files.filter((x) => x.path === f.path));
  }
  return { ...o.patch, files };
}

/** The file's diffs as one FilePatch located at the first of them; undefined when diff cannot say. */
function squashFile(first: FilePatch, o: SquashOptions): FilePatch | undefined {
  const label = `a/${first.path}`;
  const d = run(["diff", "-u", "--label", label, "--label", `b/${first.path}`, realpathSync.native(join(o.src, first.path)), join(o.tree, first.path)], o.tree);
  // diff: 0 no difference, 1 differences, anything else trouble.
  if (d.status !== 0 && d.status !== 1) return undefined;
  const hunkAt = first.hunks[0]?.location ?? first.location;
  if (d.status === 0) return { ...first, hunks: [] };
  const one = readPatch(label, Buffer.from(d.stdout, "utf8"), o.sink)?.files[0];
  if (!one) return undefined;
  return { ...first, hunks: one.hunks.map((h) => ({ ...h, location: hunkAt })) };
}
