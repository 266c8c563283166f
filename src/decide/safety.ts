import type { DiagnosticSink, SourceLocation } from "../diagnostics/diagnostic.js";
import type { SourceFile, SourceItem, SyntaxNode } from "../model/syntax.js";
import { freeReferences } from "../resolve/free-references.js";
import { identifierTokens } from "../resolve/rename.js";
import { stripComments } from "../resolve/touched.js";
import { signatureKey } from "./signature.js";

export interface SafetyOptions {
  /** Unpatched and patched source of the .c file. */
  original: SourceFile;
  patched: SourceFile;
  /** Functions the patch changes (source names). */
  changed: string[];
  /** Functions the livepatch replaces (source names), changed or not. */
  replaced: string[];
  /** klp object of the TU: "vmlinux" or a module name. */
  object: string;
  /** CONFIG_NET_NS: __net_init/__net_exit are then ordinary code, run for every network namespace made or torn down. */
  netNamespaces?: boolean;
  sink: DiagnosticSink;
}

/** The init/exit word `re` finds in `head`, unless it is __net_init/__net_exit with network namespaces on. */
function sectionWord(re: RegExp, head: string, netNamespaces: boolean | undefined): string | undefined {
  const word = re.exec(head)?.[1];
  return netNamespaces && (word === "__net_init" || word === "__net_exit") ? undefined : word;
}

const SECTION_WORDS = /\b(__init|__exit|__ref|__meminit|__cpuinit|__net_init|__net_exit|__devinit|__head)\b/;
/** Code that runs only at init or exit (not `__ref`, which only marks references to it). */
const INIT_ONLY = /\b(__init|__exit|__net_init|__net_exit|__head)\b/;
const NOT_TRACEABLE = /\b(notrace|noinstr|__noinstr|__no_instrument_function)\b|no_instrument_function/;
const MODULE_KEYS = /^(?:trace_\w+|static_branch_\w+|static_key_\w+|static_call\w*|DEFINE_STATIC_KEY\w*)$/;
const ONCE_STATE = /^(?:pr_\w+_once|printk_once|printk_deferred_once|WARN_ONCE|WARN_ON_ONCE|DO_ONCE\w*|dev_\w+_once|net_\w+_ratelimited|pr_\w+_ratelimited|printk_ratelimited)$/;

/**
 * Checks on the patch itself, from the original and patched source alone:
 * what kpatch-build and klp-build refuse, each as a located diagnostic with a
 * stable code. Errors: an __init/__exit function (already ran or discarded),
 * a function ftrace cannot redirect, a changed static local (a const one is
 * data without state, and exempt), a changed signature that unpatched code or
 * a file-scope table still depends on. Warnings: static locals and
 * once-state that restart in the copy, address uses of replaced functions,
 * tracepoints/static keys/static calls used inside a module object.
 */
export function checkSafety(o: SafetyOptions): void {
  const { sink } = o;
  for (const name of o.changed) {
    const after = fn(o.patched, name);
    const before = fn(o.original, name);
    if (!after) continue;
    const at = loc(o.patched, after);
    const head = headerText(o.patched, after);
    const section = sectionWord(SECTION_WORDS, head, o.netNamespaces);
    if (section) {
      sink.report({ code: "KLP-E024", severity: "error", message: `${name} is ${section}: init/exit code has already run or been discarded, so replacing it changes nothing`, location: at, hint: "patch the code that runs after boot, or use a livepatch callback" });
    }
    if (NOT_TRACEABLE.test(head)) {
      sink.report({ code: "KLP-E025", severity: "error", message: `${name} is notrace/noinstr: ftrace cannot redirect it, so a livepatch cannot replace it`, location: at, hint: "patch its callers instead" });
    }
    if (before) {
      const oldLocals = staticLocals(o.original, before);
      const newLocals = staticLocals(o.patched, after);
      const changedLocals = [...new Set([...oldLocals.keys(), ...newLocals.keys()])].filter((k) => oldLocals.get(k) !== newLocals.get(k));
      if (changedLocals.length) {
        sink.report({ code: "KLP-E023", severity: "error", message: `the patch adds, removes or changes static local variable(s) ${changedLocals.join(", ")} of ${name}: the running kernel's copy keeps the old state`, location: at, hint: "keep static locals as they are; put new state in a shadow variable" });
      }
      const sigBefore = signatureKey(o.original, before, headerText(o.original, before));
      const sigAfter = signatureKey(o.patched, after, head);
      if (sigBefore !== sigAfter) checkSignature(o, name, after, at);
    }
  }
  const changed = new Set(o.changed);
  for (const name of o.replaced) {
    const item = fn(o.patched, name);
    if (!item) continue;
    const at = loc(o.patched, item);
    // Replaced because a changed function was inlined into it: init/exit code ran (or will be
    // discarded) all the same, and a klp_func must not point into the livepatch's .init.text.
    const initOnly = changed.has(name) ? undefined : sectionWord(INIT_ONLY, headerText(o.patched, item), o.netNamespaces);
    if (initOnly) {
      sink.report({ code: "KLP-E024", severity: "error", message: `${name} is ${initOnly} and the change lands in it (a changed function was inlined into it): init/exit code has already run or been discarded, so replacing it changes nothing`, location: at, hint: "patch the code that runs after boot, or use a livepatch callback" });
    }
    const locals = [...staticLocals(o.patched, item).keys()];
    if (locals.length) {
      sink.report({ code: "KLP-W005", severity: "warning", message: `${name} has static local variable(s) ${locals.join(", ")}: the livepatch's copy starts with fresh state`, location: at, hint: "if the state matters, externalize it by hand" });
    }
    const tokens = identifierTokens(o.patched.text.slice(item.start, item.end)).map((t) => t.name);
    const keys = o.object === "vmlinux" ? [] : [...new Set(tokens.filter((t) => MODULE_KEYS.test(t)))];
    if (keys.length) {
      sink.report({ code: "KLP-W009", severity: "warning", message: `${name} in module ${o.object} uses ${keys.join(", ")}: tracepoints, static keys and static calls defined in a module are bound when the module loads; check that the livepatch's copies reach the module's own`, location: at, hint: "test the livepatch with the module loaded after it, and with it loaded before" });
    }
    reportOnceState(o.patched, item, name, "", sink);
  }
  const replaced = new Set(o.replaced);
  for (const item of o.patched.items) {
    if (item.kind !== "function" || !replaced.has(item.name ?? "") || !item.node) continue;
    for (const ref of freeReferences(item.node)) {
      if (replaced.has(ref.name) && !ref.isCall && ref.name !== item.name) {
        sink.report({ code: "KLP-W003", severity: "warning", message: `${item.name} uses the address of ${ref.name}, which the livepatch replaces: the old and new functions have different addresses`, location: { file: o.patched.path, line: lineOf(o.patched.text, ref.start), column: 1 } });
      }
    }
  }
}

/**
 * KLP-W006 and KLP-W005 for the functions copied into the livepatch (static
 * helpers with no symbol of their own, such as those inlined into a replaced
 * function): their `pr_*_once`/ratelimit state and static locals are fresh copies too. Known only after the closure,
 * so separate from checkSafety(); one diagnostic per function, at the function.
 */
export function checkCopiedState(o: { files: SourceFile[]; copied: Iterable<string>; sink: DiagnosticSink }): void {
  for (const name of [...o.copied].sort()) {
    for (const file of o.files) {
      const item = fn(file, name);
      if (!item) continue;
      reportOnceState(file, item, name, " (copied into the livepatch)", o.sink);
      const locals = [...staticLocals(file, item).keys()];
      if (locals.length) {
        o.sink.report({ code: "KLP-W005", severity: "warning", message: `${name} (copied into the livepatch) has static local variable(s) ${locals.join(", ")}: the copy starts with fresh state, while unpatched code that inlined ${name} keeps the kernel's`, location: loc(file, item), hint: "if the state matters, externalize it by hand" });
      }
      break;
    }
  }
}

function reportOnceState(file: SourceFile, item: SourceItem, name: string, how: string, sink: DiagnosticSink): void {
  const once = identifierTokens(file.text.slice(item.start, item.end)).map((t) => t.name).filter((t) => ONCE_STATE.test(t));
  if (once.length) {
    sink.report({ code: "KLP-W006", severity: "warning", message: `${name}${how} uses ${[...new Set(once)].join(", ")}: its once/ratelimit state restarts in the livepatch`, location: loc(file, item) });
  }
}

/** A changed signature is safe only when nothing unpatched calls the function or takes its address. */
function checkSignature(o: SafetyOptions, name: string, item: SourceItem, at: SourceLocation): void {
  // A function the fix adds calls only the new signature, and is copied with its callers. So is
  // one it changes: replaced, or copied into the replaced callers it was inlined into.
  const replaced = new Set([...o.replaced, ...o.changed]);
  const users = new Set<string>();
  for (const other of o.patched.items) {
    if (!other.node || other.name === name) continue;
    // File-scope data (an ops table's `.show = name`) is never patched: it keeps the old ABI.
    const user = other.kind === "function" ? other.name : other.kind === "declaration" ? declaredNames(other.node).join(", ") : undefined;
    if (!user || (other.kind === "function" && (replaced.has(user) || !fn(o.original, user)))) continue;
    if (freeReferences(other.node).some((r) => r.name === name)) users.add(user);
  }
  const exported = !/\bstatic\b/.test(headerText(o.patched, item));
  if (users.size || exported) {
    const who = users.size ? `unpatched code still calls it or takes its address: ${[...users].sort().join(", ")}` : "it is not static, so code in other files may call it";
    o.sink.report({ code: "KLP-E026", severity: "error", message: `the patch changes the signature of ${name}, and ${who}`, location: at, hint: "keep the signature, or patch every user too (introduce a new function for the new signature)" });
  }
}

function fn(file: SourceFile, name: string): SourceItem | undefined {
  return file.items.find((i) => i.kind === "function" && i.name === name);
}

/**
 * Text of a function definition before its body: storage, attributes, name
 * and parameters. Annotations such as `noinstr` were blanked for the parser,
 * so the node may start after them: take whole lines, reaching back over
 * lines that do not end a previous declaration.
 */
function headerText(file: SourceFile, item: SourceItem): string {
  const body = item.node?.childForFieldName("body");
  let start = file.text.lastIndexOf("\n", item.codeStart - 1) + 1;
  while (start > 0) {
    const prevStart = file.text.lastIndexOf("\n", start - 2) + 1;
    const prev = file.text.slice(prevStart, start - 1).trim();
    if (prev === "" || /[;{}]$|\*\/$|^#/.test(prev)) break;
    start = prevStart;
  }
  return file.text.slice(start, body ? body.startIndex : item.end);
}

/** `static` declarations inside a function body: name → normalised declaration text. */
function staticLocals(file: SourceFile, item: SourceItem): Map<string, string> {
  const out = new Map<string, string>();
  const body = item.node?.childForFieldName("body");
  const visit = (n: SyntaxNode) => {
    if (n.type === "declaration" && n.namedChildren.some((c) => c.type === "storage_class_specifier" && c.text === "static")) {
      for (const d of n.childrenForFieldName("declarator")) {
        const id = firstIdentifier(d);
        if (id && !isConstObject(n, d)) out.set(id, stripComments(n.text));
      }
      return;
    }
    for (const c of n.namedChildren) visit(c);
  };
  if (body) visit(body);
  return out;
}

/**
 * A const object holds no state, so a copy of it loses nothing and a new
 * value in the copy is simply the new code's data (`static const struct
 * {...} con_flags[]`). The pointer level nearest the name decides
 * (`*const p` is const, `const char *p` is not); without one, the
 * declaration's own qualifiers do. A typedef hiding `const` counts as state.
 */
function isConstObject(decl: SyntaxNode, declarator: SyntaxNode): boolean {
  let pointer: SyntaxNode | undefined;
  for (let n: SyntaxNode | null = declarator; n && n.type !== "identifier"; n = n.childForFieldName("declarator") ?? (n.type === "parenthesized_declarator" ? n.namedChildren[0] ?? null : null)) {
    if (n.type === "pointer_declarator") pointer = n;
  }
  const isConst = (c: SyntaxNode) => c.type === "type_qualifier" && c.text === "const";
  return (pointer ?? decl).namedChildren.some(isConst);
}

/** The names a file-scope declaration declares. */
function declaredNames(decl: SyntaxNode): string[] {
  return decl.childrenForFieldName("declarator").map(firstIdentifier).filter((x): x is string => Boolean(x));
}

function firstIdentifier(n: SyntaxNode): string | undefined {
  if (n.type === "identifier") return n.text;
  const inner = n.childForFieldName("declarator");
  return inner ? firstIdentifier(inner) : n.namedChildren.map(firstIdentifier).find(Boolean);
}

function loc(file: SourceFile, item: SourceItem): SourceLocation {
  return { file: file.path, line: item.codeStartLine, column: 1 };
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split("\n").length;
}
