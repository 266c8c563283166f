import type { DiagnosticSink, SourceLocation } from "../diagnostics/diagnostic.js";
import type { FilePatch } from "../model/input.js";
import type { SourceFile, SourceItem } from "../model/syntax.js";
import { isCosmeticLine } from "../input/diff.js";
import { identifierTokens } from "./rename.js";

/** A function the patch changes, named in the patched file. */
export interface ChangedFunction {
  name: string;
  /** Why it counts as changed: its own lines, or a macro it uses. */
  why: string;
  /** Patch file location of the first hunk that touches it. */
  hunk: SourceLocation;
}

/**
 * Maps each hunk's changed lines to what they change: added lines in the
 * patched file, deleted lines in the original. Lines in a function make it
 * changed; a changed #define makes every function that uses the macro
 * changed; a changed type or variable is data, which cannot be live-patched
 * (KLP-E021/E022); anything else outside a function is reported (KLP-W001),
 * never dropped silently. A function whose old and new text differ only in
 * comments and whitespace is not a change.
 */
export function touchedFunctions(fp: FilePatch, patched: SourceFile, original: SourceFile, sink: DiagnosticSink): ChangedFunction[] {
  const byName = new Map<string, ChangedFunction>();
  const macros = new Set<string>();
  const reportedData = new Set<number>();
  const mark = (name: string, why: string, hunk: SourceLocation) => {
    if (!byName.has(name)) byName.set(name, { name, why, hunk });
  };
  for (const hunk of fp.hunks) {
    const lines = [
      ...hunk.added.map((l) => ({ ...l, file: patched })),
      ...hunk.deleted.map((l) => ({ ...l, file: original })),
    ];
    const outside = new Set<number>();
    for (const l of lines) {
      const item = l.file.items.find((i) => l.line >= itemStart(i) && l.line <= i.endLine);
      if (item?.kind === "function" && item.name) {
        mark(item.name, `changed at ${fp.path}:${l.line}`, hunk.location);
        continue;
      }
      if (isCosmeticLine(l.text)) continue;
      const where = { file: fp.path, line: l.line, column: 1 };
      if (item?.kind === "macro" && item.name) macros.add(item.name);
      else if (item?.kind === "declaration" && item.node) {
        if (!reportedData.has(item.start)) reportData(item, l.file, where, sink);
        reportedData.add(item.start);
      }
      else if (item?.kind === "other" && item.hasError) {
        sink.report({ code: "KLP-E015", severity: "error", message: `tree-sitter could not parse ${fp.path} lines ${item.startLine}-${item.endLine} around the change`, location: where, hint: "the tool will not guess what this region defines; report it with the file" });
      } else outside.add(l.line);
    }
    if (outside.size) {
      sink.report({
        code: "KLP-W001",
        severity: "warning",
        message: `hunk changes ${fp.path} line(s) ${[...outside].sort((a, b) => a - b).join(", ")} outside any function; that part is not in the livepatch`,
        location: hunk.location,
        hint: "includes, prototypes and other declarations are not live-patched",
      });
    }
  }
  const users = functionsUsingMacros(patched, macros);
  for (const [name, macro] of users) mark(name, `uses macro ${macro}, which the patch changes`, fp.hunks[0]!.location);
  const unused = [...macros].filter((m) => ![...users.values()].includes(m));
  if (unused.length) {
    sink.report({ code: "KLP-W001", severity: "warning", message: `the patch changes macro(s) ${unused.join(", ")}, which no function of ${fp.path} uses`, location: fp.hunks[0]!.location, hint: "a macro used only by other files or headers is not live-patched" });
  }

  const result: ChangedFunction[] = [];
  for (const fn of byName.values()) {
    const before = original.items.find((i) => i.kind === "function" && i.name === fn.name);
    const after = patched.items.find((i) => i.kind === "function" && i.name === fn.name);
    const viaMacro = fn.why.startsWith("uses macro");
    if (!viaMacro && before && after && stripComments(textOf(original, before)) === stripComments(textOf(patched, after))) continue;
    result.push(fn);
  }
  return result.sort((a, b) => a.name.localeCompare(b.name));
}

/** Section markers of data that lives only until boot ends (include/linux/init.h). */
const INIT_DATA = /\b__(?:init|exit|mem|cpu|dev|ref)(?:data|const|rodata)\b|\b__initdata_or_module\b/;

/** A changed struct/union/enum or variable: data, not code. */
function reportData(item: SourceItem, file: SourceFile, where: SourceLocation, sink: DiagnosticSink): void {
  const node = item.node!;
  const text = file.text.slice(item.start, item.end);
  const isTag = /^(struct|union|enum)_specifier$/.test(node.type) || /\b(struct|union|enum)\s+\w*\s*\{/.test(text);
  const isPrototype = node.type === "declaration" && /\)\s*;\s*$/.test(text.trim()) && !/=/.test(text);
  if (isPrototype) return;
  const initData = isTag ? undefined : INIT_DATA.exec(text)?.[0];
  if (initData) {
    sink.report({ code: "KLP-E024", severity: "error", message: `the patch changes init data (${file.path}:${item.startLine}, ${initData}): it was used at boot and then discarded, so a livepatch cannot change what it did`, location: where, hint: "patch the code that runs after boot, or use a livepatch callback" });
    return;
  }
  sink.report(isTag
    ? { code: "KLP-E021", severity: "error", message: `the patch changes a type definition (${file.path}:${item.startLine}): a struct/union/enum layout cannot be changed in a running kernel`, location: where, hint: "keep the layout and add new state in a shadow variable (klp_shadow_*), or use callbacks" }
    : { code: "KLP-E022", severity: "error", message: `the patch changes a variable's declaration or initializer (${file.path}:${item.startLine}): the running kernel keeps the old data`, location: where, hint: "change the data at load time in a livepatch callback, or use a shadow variable" });
}

/** Functions whose text names one of the macros, directly or through other macros of the file. */
function functionsUsingMacros(file: SourceFile, changed: Set<string>): Map<string, string> {
  const out = new Map<string, string>();
  if (changed.size === 0) return out;
  const closure = new Map([...changed].map((m) => [m, m]));
  let grew = true;
  while (grew) {
    grew = false;
    for (const item of file.items.filter((i) => i.kind === "macro" && i.name && !closure.has(i.name))) {
      const hit = identifierTokens(file.text.slice(item.start, item.end)).find((t) => closure.has(t.name));
      if (hit) {
        closure.set(item.name!, closure.get(hit.name)!);
        grew = true;
      }
    }
  }
  for (const item of file.items) {
    if (item.kind !== "function" || !item.name) continue;
    const hit = identifierTokens(file.text.slice(item.start, item.end)).find((t) => closure.has(t.name));
    if (hit) out.set(item.name, closure.get(hit.name)!);
  }
  return out;
}

/** A function's own lines start at its node; a leading comment block is not code. */
function itemStart(item: SourceItem): number {
  return item.node ? item.node.startPosition.row + 1 : item.startLine;
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
