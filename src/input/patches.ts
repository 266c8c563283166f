import { readFileSync } from "node:fs";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { PatchSet } from "../model/input.js";
import { readPatch } from "./diff.js";

/** The --patch files, each read on its own (its locations are its own lines), and the fix they make together. */
export interface PatchFiles {
  /** Every file change of every patch, in order; `file` is the first patch's, `subject` every mail's. */
  all: PatchSet;
  /** Each patch with its bytes, to be applied in order. */
  each: Array<{ patch: PatchSet; bytes: Buffer }>;
}

/**
 * Reads one or more patches (several --patch options) as one fix. Undefined
 * when one of them is not a diff (reported at its own line).
 */
export function readPatches(files: string[], sink: DiagnosticSink): PatchFiles | undefined {
  const each: PatchFiles["each"] = [];
  for (const file of files) {
    const bytes = readFileSync(file);
    const patch = readPatch(file, bytes, sink);
    if (patch) each.push({ patch, bytes });
  }
  if (each.length !== files.length) return undefined;
  const subjects = each.flatMap((e) => (e.patch.subject ? [e.patch.subject] : []));
  return { all: { file: files[0]!, files: each.flatMap((e) => e.patch.files), ...(subjects.length ? { subject: subjects.join("; ") } : {}) }, each };
}
