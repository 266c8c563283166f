import type { DiagnosticSink, SourceLocation } from "../diagnostics/diagnostic.js";
import type { FilePatch } from "../model/input.js";
import type { SourceFile, SourceItem } from "../model/syntax.js";
import { isCosmeticLine } from "../input/diff.js";
import { identifierTokens } from "./rename.js";
import { compareText } from "../util/compare.js";
import { canonicalTypes } from "./type-spelling.js";
import { constTableChange } from "./const-tables.js";

/** A function the patch changes, named in the patched file. */
export interface ChangedFunction {
  name: string;
  /** Why it counts as changed: its own lines, or a macro it uses. */
  why: string;
  /** Patch file location of the first hunk that touches it. */
  hunk: SourceLocation;
  /** The `static const` tables the patch changes that it reads: copied as klpp_NAME, which its copy reads. */
  constTables?: string[];
}

/**
 * Maps each hunk's changed lines to what they change: added lines in the
 * patched file, deleted lines in the original. Lines in a function make it
 * changed; a changed #define makes every function that uses the macro
 * changed; a changed type or variable is data, which cannot be live-patched
 * (KLP-E021/E022); anything else outside a function is reported (KLP-W001),
 * never dropped silently. A function whose old and new text differ only in
 * comments and whitespace is not a change. Lines in the body of a
 * SYSCALL_DEFINEn / COMPAT_SYSCALL_DEFINEn change the function the macro
 * generates (__do_sys_NAME / __do_compat_sys_NAME).
 */
export function touchedFunctions(
  fp: FilePatch, patched: SourceFile, original: SourceFile, sink: DiagnosticSink,
  /** Whether the preprocessed TU compiles the patched file's definition of `name` at these lines (default: yes). */
  isLive?: (name: string, startLine: number, endLine: number) => boolean,
): ChangedFunction[] {
  const byName = new Map<string, ChangedFunction>();
  const macros = new Set<string>();
  const reportedData = new Set<number>();
  const mark = (name: string, why: string, hunk: SourceLocation) => {
    if (!byName.has(name)) byName.set(name, { name, why, hunk });
  };
  const generated = { patched: macroDefinedFunctions(patched), original: macroDefinedFunctions(original) };
  for (const hunk of fp.hunks) {
    const lines = [
      ...hunk.added.map((l) => ({ ...l, file: patched, generated: generated.patched })),
      ...hunk.deleted.map((l) => ({ ...l, file: original, generated: generated.original })),
    ];
    const outside = new Set<number>();
    const data: ChangedData[] = [];
    for (const l of lines) {
      const gen = l.generated.find((g) => l.line >= g.startLine && l.line <= g.endLine);
      if (gen) {
        mark(gen.name, `changed at ${fp.path}:${l.line} (the body of ${macroCall(gen)})`, hunk.location);
        continue;
      }
      const item = l.file.items.find((i) => l.line >= itemStart(i) && l.line <= i.endLine);
      if (item?.kind === "function" && item.name) {
        mark(item.name, `changed at ${fp.path}:${l.line}`, hunk.location);
        continue;
      }
      if (isCosmeticLine(l.text)) continue;
      const where = { file: fp.path, line: l.line, column: 1 };
      if (item?.kind === "macro" && item.name) macros.add(item.name);
      else if (item?.kind === "declaration" && item.node) {
        const side = l.file === patched ? "after" : "before";
        if (!data.some((d) => d.item === item)) data.push({ item, file: l.file, where, side });
      }
      else if (item?.kind === "other" && item.hasError) {
        sink.report({ code: "KLP-E015", severity: "error", message: `tree-sitter could not parse ${fp.path} lines ${item.startLine}-${item.endLine} around the change`, location: where, hint: "the tool will not guess what this region defines; report it with the file" });
      } else outside.add(l.line);
    }
    reportChangedData(data, reportedData, sink, (d) => {
      const t = constTableChange(d.item, d.file, patched);
      if (t?.kind === "copy") {
        sink.report({ code: "KLP-W016", severity: "warning", message: `the patch changes the values of ${t.name}, a static const table that only functions read: the livepatch copies it as klpp_${t.name} and replaces its readers (${t.readers.join(", ")}); the kernel's own table keeps the old values`, location: d.where });
        for (const r of t.readers) {
          mark(r, `reads ${t.name}, a static const table whose values the patch changes (copied as klpp_${t.name})`, hunk.location);
          const fn = byName.get(r)!;
          if (!fn.constTables?.includes(t.name)) fn.constTables = [...(fn.constTables ?? []), t.name];
        }
        return true;
      }
      return t?.why;
    });
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
  const users = functionsUsingMacros(patched, macros, generated.patched);
  for (const [name, macro] of users) mark(name, `uses macro ${macro}, which the patch changes`, fp.hunks[0]!.location);
  const unused = [...macros].filter((m) => ![...users.values()].includes(m));
  if (unused.length) {
    sink.report({ code: "KLP-W001", severity: "warning", message: `the patch changes macro(s) ${unused.join(", ")}, which no function of ${fp.path} uses`, location: fp.hunks[0]!.location, hint: "a macro used only by other files or headers is not live-patched" });
  }

  const result: ChangedFunction[] = [];
  for (const fn of byName.values()) {
    // A function that uses a changed macro or reads a changed const table changes with its text as is.
    const viaMacro = fn.why.startsWith("uses macro") || Boolean(fn.constTables?.length);
    const genBefore = generated.original.find((g) => g.name === fn.name);
    const genAfter = generated.patched.find((g) => g.name === fn.name);
    const gen = genAfter ?? genBefore;
    if (gen) {
      // A system call's body: __do_sys_NAME, copied later with the whole macro call (see assemble).
      if (!viaMacro && genBefore && genAfter && stripComments(genBefore.text) === stripComments(genAfter.text)) continue;
      result.push(fn);
      continue;
    }
    // A name may be defined in several #if branches: pair the definitions in file order and
    // look at the ones whose text changed, of which only a compiled one (isLive) counts.
    const befores = original.items.filter((i) => i.kind === "function" && i.name === fn.name);
    const afters = patched.items.filter((i) => i.kind === "function" && i.name === fn.name);
    const before = befores[0];
    const after = afters[0];
    if (!viaMacro && befores.length && befores.length === afters.length) {
      const changedDefs = afters.filter((a, k) => stripComments(textOf(original, befores[k]!)) !== stripComments(textOf(patched, a)));
      if (changedDefs.length === 0) continue;
      if (isLive && !changedDefs.some((a) => isLive(fn.name, a.startLine, a.endLine))) {
        sink.report({ code: "KLP-W001", severity: "warning", message: `the patch changes ${fn.name} only in a definition the kernel's configuration compiles out (${fp.path}:${changedDefs[0]!.startLine}); that part is not in the livepatch`, location: fn.hunk, hint: "the running kernel uses another definition of this function" });
        continue;
      }
    }
    // A function the patch adds has no old code to replace: the closure copies it into the
    // livepatch where a replaced function calls it (see addedFunctions).
    if (!viaMacro && !before && after) continue;
    result.push(fn);
  }
  return result.sort((a, b) => compareText(a.name, b.name));
}

interface ChangedData {
  item: SourceItem;
  file: SourceFile;
  where: SourceLocation;
  side: "before" | "after";
}

/**
 * A hunk's changed declarations, each reported once, except those the other
 * side declares with the same tokens once integer types are spelled one way
 * (`unsigned` → `unsigned int`): the same layout, not a change.
 */
function reportChangedData(data: ChangedData[], reported: Set<number>, sink: DiagnosticSink, constTable: (d: ChangedData) => true | string | undefined): void {
  const keyOf = (d: ChangedData) => canonicalTypes(d.file.text.slice(d.item.start, d.item.end));
  const keys = { before: new Set(data.filter((d) => d.side === "before").map(keyOf)), after: new Set(data.filter((d) => d.side === "after").map(keyOf)) };
  for (const d of data) {
    if (reported.has(d.item.start) || keys[d.side === "before" ? "after" : "before"].has(keyOf(d))) continue;
    reported.add(d.item.start);
    const table = INIT_DATA.test(d.file.text.slice(d.item.start, d.item.end)) ? undefined : constTable(d);
    if (table !== true) reportData(d.item, d.file, d.where, sink, table);
  }
}

/** Section markers of data that lives only until boot ends (include/linux/init.h). */
const INIT_DATA = /\b__(?:init|exit|mem|cpu|dev|ref)(?:data|const|rodata)\b|\b__initdata_or_module\b/;

/** A changed struct/union/enum or variable: data, not code. */
function reportData(item: SourceItem, file: SourceFile, where: SourceLocation, sink: DiagnosticSink, why?: string): void {
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
    : { code: "KLP-E022", severity: "error", message: `the patch changes a variable's declaration or initializer (${file.path}:${item.startLine}): the running kernel keeps the old data${why ? ` (a static const table is copied when only functions read it: ${why})` : ""}`, location: where, hint: "change the data at load time in a livepatch callback, or use a shadow variable" });
}

/** Functions whose text names one of the macros, directly or through other macros of the file. */
function functionsUsingMacros(file: SourceFile, changed: Set<string>, generated: MacroDefinedFunction[]): Map<string, string> {
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
    // `SYSCALL_DEFINE0(getpid) {...}` parses as a function named SYSCALL_DEFINE0: it is one of `generated`.
    if (generated.some((g) => item.startLine <= g.endLine && item.endLine >= g.startLine)) continue;
    const hit = identifierTokens(file.text.slice(item.start, item.end)).find((t) => closure.has(t.name));
    if (hit) out.set(item.name, closure.get(hit.name)!);
  }
  for (const g of generated) {
    const hit = identifierTokens(g.text).find((t) => closure.has(t.name));
    if (hit) out.set(g.name, closure.get(hit.name)!);
  }
  return out;
}

/** A function that a definition macro generates, where the file defines it. */
export interface MacroDefinedFunction {
  /** The function the macro expands to, e.g. __do_sys_umask. */
  name: string;
  /** The macro, e.g. SYSCALL_DEFINE1, and its first argument (umask). */
  macro: string;
  macroArg: string;
  /** 1-based lines from the macro's name to the body's closing brace. */
  startLine: number;
  endLine: number;
  /** Offsets of that text in the file. */
  start: number;
  end: number;
  /** Offset of the body's `{` in the file (after every alternative head). */
  bodyStart: number;
  /** That text (the macro call and the body). */
  text: string;
}

/**
 * `SYSCALL_DEFINEn(name, ...) { body }` and `COMPAT_SYSCALL_DEFINEn(name, ...) { body }`
 * (n = 0..6) at file scope. The body becomes the function `__do_sys_<name>` /
 * `__do_compat_sys_<name>` (include/linux/syscalls.h, include/linux/compat.h,
 * arch/x86/include/asm/syscall_wrapper.h); the stubs around it call it.
 */
const SYSCALL_MACRO = /(?:^|\n)[ \t]*((COMPAT_)?SYSCALL_DEFINE[0-6])[ \t]*\([ \t\n]*(\w+)/g;

/**
 * The macro-defined functions of a file. tree-sitter does not see them as
 * function definitions: `SYSCALL_DEFINE1(umask, int, mask)` is an
 * expression statement with a missing `;` (or part of an ERROR) followed by
 * a bare compound statement, and `SYSCALL_DEFINE0(getpid) {...}` a function
 * definition named SYSCALL_DEFINE0. So they are found in the text, at the
 * start of a line, where a top-level code item (not a comment or a
 * #define) is; their extent is the macro's argument list and the braces after
 * it, matched in the text.
 */
export function macroDefinedFunctions(file: SourceFile): MacroDefinedFunction[] {
  // Asked for by touched, assemble and decide (once per symbol): scanned once per file.
  let found = macroCalls.get(file);
  if (!found) macroCalls.set(file, (found = scanMacroDefinedFunctions(file)));
  return found;
}

const macroCalls = new WeakMap<SourceFile, MacroDefinedFunction[]>();

function scanMacroDefinedFunctions(file: SourceFile): MacroDefinedFunction[] {
  const { text } = file;
  if (!text.includes("SYSCALL_DEFINE")) return [];
  // Items with a node (not asked for: that would parse them), by the node's span.
  const code = file.items.filter((i) => (i.kind === "function" || i.kind === "other") && "node" in i);
  const out: MacroDefinedFunction[] = [];
  for (const m of text.matchAll(SYSCALL_MACRO)) {
    const at = m.index + m[0].indexOf(m[1]!);
    // Another signature of a call already found (an #elif alternative before the shared body).
    if (out.some((g) => at >= g.start && at < g.end)) continue;
    if (!code.some((i) => at >= i.codeStart && at < i.end)) continue;
    const argsEnd = skipGroup(text, at + m[1]!.length, "(", ")");
    if (argsEnd < 0) continue;
    const open = bodyStart(text, argsEnd);
    if (text[open] !== "{") continue;
    const end = skipGroup(text, open, "{", "}");
    if (end < 0) continue;
    // Alternative signatures under #if (clone's CONFIG_CLONE_BACKWARDS*): the call starts at the #if.
    const lineStart = text.lastIndexOf("\n", at - 1) + 1;
    const prevStart = lineStart > 0 ? text.lastIndexOf("\n", lineStart - 2) + 1 : lineStart;
    const from = lineStart > 0 && /^[ \t]*#[ \t]*if/.test(text.slice(prevStart, lineStart)) && /\n[ \t]*#[ \t]*endif/.test(text.slice(at, open)) ? prevStart : at;
    out.push({
      name: `${m[2] ? "__do_compat_sys_" : "__do_sys_"}${m[3]!}`,
      macro: m[1]!,
      macroArg: m[3]!,
      startLine: lineAt(text, from),
      endLine: lineAt(text, end - 1),
      start: from,
      end,
      bodyStart: open,
      text: text.slice(from, end),
    });
  }
  return out;
}

/** `SYSCALL_DEFINE1(umask, ...)`, `SYSCALL_DEFINE0(getpid)`. */
function macroCall(g: MacroDefinedFunction): string {
  return `${g.macro}(${g.macroArg}${g.macro.endsWith("0") ? "" : ", ..."})`;
}

function lineAt(text: string, offset: number): number {
  let n = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/**
 * Where the body after a definition macro's arguments starts. Conditional
 * alternatives of the head may stand between (kernel/fork.c: one
 * SYSCALL_DEFINEn(clone, ...) per #if branch, then the one body after #endif).
 */
function bodyStart(text: string, from: number): number {
  let i = skipSpaceAndComments(text, from);
  for (;;) {
    if (text[i] === "#") {
      // A preprocessor line (outside a #define, `#` is nothing else), with its continuations.
      let e = text.indexOf("\n", i);
      while (e > 0 && text[e - 1] === "\\") e = text.indexOf("\n", e + 1);
      i = skipSpaceAndComments(text, e < 0 ? text.length : e);
      continue;
    }
    const head = /^(?:COMPAT_)?SYSCALL_DEFINE[0-6]/.exec(text.slice(i, i + 32));
    if (head) {
      const e = skipGroup(text, i + head[0].length, "(", ")");
      if (e < 0) return -1;
      i = skipSpaceAndComments(text, e);
      continue;
    }
    return i;
  }
}

function skipSpaceAndComments(text: string, from: number): number {
  let i = from;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text.startsWith("/*", i)) {
      const e = text.indexOf("*/", i + 2);
      if (e < 0) return text.length;
      i = e + 2;
    } else if (text.startsWith("//", i)) {
      const e = text.indexOf("\n", i);
      i = e < 0 ? text.length : e;
    } else return i;
  }
}

/** Index just past the group that opens at `from` (after blanks), skipping comments, strings and character constants; -1 when it does not close. */
export function skipGroup(text: string, from: number, open: string, close: string): number {
  let i = skipSpaceAndComments(text, from);
  if (text[i] !== open) return -1;
  let depth = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "/" && (text[i + 1] === "*" || text[i + 1] === "/")) {
      i = skipSpaceAndComments(text, i);
      continue;
    }
    if (c === '"' || c === "'") {
      for (i++; i < text.length && text[i] !== c && text[i] !== "\n"; i++) if (text[i] === "\\") i++;
    } else if (c === open) depth++;
    else if (c === close && --depth === 0) return i + 1;
    i++;
  }
  return -1;
}

/** A function's own lines start at its node; a leading comment block is not code. */
function itemStart(item: SourceItem): number {
  return item.codeStartLine;
}

function textOf(file: SourceFile, item: SourceItem): string {
  return file.text.slice(item.codeStart, item.end);
}

/** Code tokens only: comments removed, whitespace collapsed (strings kept as written). */
export function stripComments(code: string): string {
  return code
    .replace(/("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (_m, str: string | undefined) => str ?? " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** Functions the patched file defines and the original does not: new code, copied where used. */
export function addedFunctions(patched: SourceFile, original: SourceFile): Set<string> {
  const before = new Set(original.items.filter((i) => i.kind === "function" && i.name).map((i) => i.name!));
  return new Set(patched.items.filter((i) => i.kind === "function" && i.name && !before.has(i.name)).map((i) => i.name!));
}

/** Every function a (COMPAT_)SYSCALL_DEFINEn call generates on x86-64: the body, its sign-extending caller, the per-ABI entry points. */
export function generatedFunctionNames(g: Pick<MacroDefinedFunction, "macro" | "macroArg">): string[] {
  const sys = g.macro.startsWith("COMPAT_") ? `compat_sys_${g.macroArg}` : `sys_${g.macroArg}`;
  return [`__do_${sys}`, `__se_${sys}`, `__x64_${sys}`, `__ia32_${sys}`];
}
