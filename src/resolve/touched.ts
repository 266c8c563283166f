import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { FilePatch } from "../model/input.js";
import type { SourceFile, SourceItem } from "../model/syntax.js";

/** A function the patch changes, named in the patched file. */
export interface ChangedFunction {
  name: string;
  /** Patched-file lines the patch changes inside it. */
  lines: number[];
  /** Patch file location of the first hunk that touches it. */
  hunk: FilePatch["hunks"][number]["location"];
}

/**
 * Maps each hunk's changed lines (new-side numbering) to the functions that
 * contain them. Lines outside any function are reported (KLP-W001), never
 * dropped silently; a function whose old and new text differ only in
 * comments and whitespace is not a change.
 */
export function touchedFunctions(fp: FilePatch, patched: SourceFile, original: SourceFile, sink: DiagnosticSink): ChangedFunction[] {
  const byName = new Map<string, ChangedFunction>();
  const functions = patched.items.filter((i) => i.kind === "function" && i.name);
  for (const hunk of fp.hunks) {
    const lines = [...hunk.addedLines, ...hunk.deletionPoints];
    const outside: number[] = [];
    for (const line of lines) {
      const fn = functions.find((f) => line >= bodyStartLine(patched, f) && line <= f.endLine);
      if (!fn) {
        outside.push(line);
        continue;
      }
      const entry = byName.get(fn.name!) ?? { name: fn.name!, lines: [], hunk: hunk.location };
      entry.lines.push(line);
      byName.set(fn.name!, entry);
    }
    if (outside.length && !hunk.cosmetic) {
      sink.report({
        code: "KLP-W001",
        severity: "warning",
        message: `hunk changes ${fp.path} line(s) ${[...new Set(outside)].join(", ")} outside any function; that part is not in the livepatch`,
        location: hunk.location,
        hint: "data, macro and declaration changes cannot be live-patched by replacing functions",
      });
    }
  }
  const result: ChangedFunction[] = [];
  for (const fn of byName.values()) {
    const before = original.items.find((i) => i.kind === "function" && i.name === fn.name);
    const after = functions.find((i) => i.name === fn.name)!;
    if (before && stripComments(textOf(original, before)) === stripComments(textOf(patched, after))) continue;
    result.push(fn);
  }
  return result.sort((a, b) => a.name.localeCompare(b.name));
}

/** A function's own lines: a leading comment block does not make a hunk in it a code change. */
function bodyStartLine(file: SourceFile, item: SourceItem): number {
  const node = item.node;
  return node ? node.startPosition.row + 1 : item.startLine;
}

function textOf(file: SourceFile, item: SourceItem): string {
  const node = item.node;
  return node ? file.text.slice(node.startIndex, node.endIndex) : file.text.slice(item.start, item.end);
}

/** Code tokens only: comments removed, whitespace collapsed (strings kept as written). */
export function stripComments(code: string): string {
  return code
    .replace(/("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (_m, str: string | undefined) => str ?? " ")
    .replace(/\s+/g, " ")
    .trim();
}
