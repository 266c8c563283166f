import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { SourceFile, SourceItem } from "../model/syntax.js";
import { stripComments, type ChangedFunction } from "../resolve/touched.js";
import { macroDefinedFunctions } from "../resolve/macro-defined-functions.js";

export interface DeletedFunctionsOptions {
  /** The changed functions, as touchedFunctions found them (a deleted one among them). */
  changed: ChangedFunction[];
  original: SourceFile;
  patched: SourceFile;
  sink: DiagnosticSink;
}

/**
 * A function the fix deletes has no new code to replace the old with. A static
 * one whose every user in the file is itself changed or deleted needs nothing:
 * its users are replaced and no longer reach it (KLP-W010). One that unpatched
 * code of the file still names (a call, an address in a table), or a global one
 * that other files may call, would keep running as it is: KLP-E041. Returns the
 * changed functions that still exist.
 */
export function dropDeletedFunctions(opts: DeletedFunctionsOptions): ChangedFunction[] {
  const { changed, original, patched, sink } = opts;
  const defined = (f: SourceFile) => new Set(f.items.filter((i) => i.kind === "function" && i.name).map((i) => i.name!));
  const before = defined(original);
  const after = defined(patched);
  for (const g of macroDefinedFunctions(patched)) after.add(g.name);
  const deleted = changed.filter((c) => before.has(c.name) && !after.has(c.name));
  if (deleted.length === 0) return changed;
  const gone = new Set(deleted.map((d) => d.name));
  const changedNames = new Set(changed.map((c) => c.name));
  for (const fn of deleted) {
    const item = original.items.find((i) => i.kind === "function" && i.name === fn.name)!;
    const where = { file: original.path, line: item.codeStartLine, column: 1 };
    if (!isStatic(original, item, fn.name)) {
      sink.report({ code: "KLP-E041", severity: "error", message: `the fix deletes ${fn.name}, which is not static: code outside ${original.path} may still call it, and the old code would keep running there`, location: where, hint: `keep ${fn.name} in the fix (calling the new code), or patch its users in their own files` });
      continue;
    }
    const users = usersOf(original, fn.name, item);
    const unpatched = users.filter((u) => !(u.kind === "function" && u.name && changedNames.has(u.name)));
    if (unpatched.length) {
      const names = unpatched.map((u) => (u.kind === "function" && u.name ? `${u.name} (line ${u.codeStartLine})` : `line ${u.codeStartLine}`));
      sink.report({ code: "KLP-E041", severity: "error", message: `the fix deletes ${fn.name}, but unpatched code of ${original.path} still names it: ${names.join(", ")}; that code would keep calling the old function`, location: where, hint: "patch those users too, or keep the function in the fix" });
      continue;
    }
    const replaced = users.filter((u) => u.name && !gone.has(u.name)).map((u) => u.name!);
    sink.report({ code: "KLP-W010", severity: "warning", message: `the fix deletes static ${fn.name}: nothing replaces it${replaced.length ? `; its users ${replaced.join(", ")} are replaced and no longer call it` : ""}`, location: where });
  }
  return changed.filter((c) => !gone.has(c.name));
}

/** `static` in the function's head, before its name. */
function isStatic(file: SourceFile, item: SourceItem, name: string): boolean {
  const head = file.text.slice(item.codeStart, item.end);
  const at = head.search(new RegExp(`\\b${name}\\s*\\(`));
  return /\bstatic\b/.test(stripComments(head.slice(0, at < 0 ? head.length : at)));
}

/**
 * Items of the file other than the definition itself whose code names `name`. Macros are
 * not users: the functions that expand one are (and count as changed when it changes).
 */
function usersOf(file: SourceFile, name: string, self: SourceItem): SourceItem[] {
  const word = new RegExp(`\\b${name}\\b`);
  return file.items.filter((i) => i !== self && i.kind !== "include" && i.kind !== "macro" && !(i.kind === "declaration" && isPrototypeOf(file, i, name)) && word.test(stripComments(file.text.slice(i.codeStart, i.end))));
}

/** A forward declaration `static int name(...);`: names it without using it. */
function isPrototypeOf(file: SourceFile, item: SourceItem, name: string): boolean {
  const text = stripComments(file.text.slice(item.codeStart, item.end));
  return new RegExp(`^[^=;{]*\\b${name}\\s*\\([^;{]*\\)\\s*;$`).test(text);
}
