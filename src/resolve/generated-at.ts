import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { Hunk } from "../model/input.js";
import type { SourceFile, SourceItem } from "../model/syntax.js";
import type { TranslationUnit } from "../model/tu.js";
import { identifierTokens } from "./rename.js";

/** What the TU defines at some lines of the patched file, as its line markers place it. */
export interface DefinedAt {
  /** Functions defined there. */
  functions: string[];
  /** Variables defined there. */
  data: string[];
}

/** The TU's definitions whose line markers put them in these lines of the patched .c file. */
export type DefinedAtLines = (startLine: number, endLine: number) => DefinedAt;

/**
 * The functions a top-level item generates through a macro call: what the
 * TU defines at the item's lines besides the function the item itself
 * defines (`DEFINE_SHOW_ATTRIBUTE(x);`, `BPF_CALL_2(f, ...) {...}`, which
 * tree-sitter reads as a function named BPF_CALL_2). None for an ordinary
 * function, a #define or an #include.
 */
export function generatedBy(item: SourceItem, definedAt: DefinedAtLines): DefinedAt {
  if (item.kind === "macro" || item.kind === "include") return { functions: [], data: [] };
  const at = definedAt(item.startLine, item.endLine);
  // An ordinary definition defines itself alone; `BPF_CALL_0(f) {...}` reads as a function f but makes f and ____f.
  if (item.kind === "function" && item.name && at.functions.every((f) => f === item.name)) return { functions: [], data: [] };
  return at.functions.length ? at : { functions: [], data: [] };
}

/**
 * The patched file's item that stands where a deleted line's original item
 * stood: within the hunk's new lines, a top-level code item that starts
 * with the same macro name (`DEFINE_SHOW_ATTRIBUTE(` in both), else one the
 * hunk adds lines to.
 */
export function counterpartItem(originalItem: SourceItem, original: SourceFile, patched: SourceFile, hunk: Hunk): SourceItem | undefined {
  const head = identifierTokens(original.text.slice(originalItem.codeStart, originalItem.end))[0]?.name;
  if (!head) return undefined;
  const last = hunk.newStart + Math.max(hunk.newLines, 1) - 1;
  const code = patched.items.filter((i) => i.kind !== "macro" && i.kind !== "include" && i.endLine >= hunk.newStart && i.startLine <= last);
  // Else the call the hunk's added lines rewrote (DEFINE_SHOW_ATTRIBUTE → DEFINE_PROC_SHOW_ATTRIBUTE).
  return (
    code.find((i) => identifierTokens(patched.text.slice(i.codeStart, i.end))[0]?.name === head) ??
    code.find((i) => hunk.added.some((a) => a.line >= i.codeStartLine && a.line <= i.endLine))
  );
}

/**
 * A changed macro call that generates functions may define data too (the
 * `file_operations` of DEFINE_SHOW_ATTRIBUTE, a stats group's attribute):
 * the livepatch replaces the functions; the data keeps what the running
 * kernel built (KLP-W014), keyed by the call's line.
 */
export function reportGeneratedData(path: string, data: Map<number, string[]>, sink: DiagnosticSink): void {
  for (const [line, names] of [...data].sort(([a], [b]) => a - b)) {
    sink.report({ code: "KLP-W014", severity: "warning", message: `the macro call at ${path}:${line} also defines ${names.join(", ")} (data): the livepatch replaces the functions it generates, the data keeps its old contents`, location: { file: path, line, column: 1 }, hint: "check that the fix does not need the data changed (its function pointers still reach the replaced functions through ftrace)" });
  }
}

/** DefinedAtLines from the TU's definitions in its main file, indexed by line once. */
export function definedAtLines(ctx: TranslationUnit): DefinedAtLines {
  let byLine: Map<number, Array<{ name: string; fn: boolean }>> | undefined;
  return (startLine, endLine) => {
    if (!byLine) {
      byLine = new Map();
      for (const [name, decls] of ctx.mainFileDecls()) {
        for (const d of decls) {
          if (d.kind !== "function" && d.kind !== "variable") continue;
          byLine.set(d.line, [...(byLine.get(d.line) ?? []), { name, fn: d.kind === "function" }]);
        }
      }
    }
    const out: DefinedAt = { functions: [], data: [] };
    for (let line = startLine; line <= endLine; line++) {
      for (const d of byLine.get(line) ?? []) (d.fn ? out.functions : out.data).push(d.name);
    }
    return out;
  };
}
