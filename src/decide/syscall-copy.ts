import type { SourceFile } from "../model/syntax.js";
import { freeReferences } from "../resolve/free-references.js";
import { applyRenames, identifierTokens, type Rename } from "../resolve/rename.js";
import { skipGroup, type MacroDefinedFunction } from "../resolve/macro-defined-functions.js";

/**
 * The text of a `SYSCALL_DEFINEn(name, ...) { body }` call to copy into the
 * livepatch. Its functions have no function definition to rename, so the
 * macro itself is swapped for klp-ccp's KLPP_SYSCALL_DEFINEn (see
 * templates/partials/syscall-wrappers.hbs), which generates every function
 * static and klpp_-named, without the syscall trace metadata and
 * error-injection entries that belong to the kernel image. Names in the body
 * are renamed like any copied code's; the macro's parameter names are not.
 */
export function syscallCopyText(
  file: SourceFile,
  call: MacroDefinedFunction,
  renameTo: (name: string) => string | undefined,
  opts: { keepMacro: boolean; onRename: (name: string) => void; onIdentifier: (name: string) => void },
): string {
  const params = parameterNames(call.text);
  const renames: Rename[] = [];
  for (const item of file.items) {
    if (item.start < call.start || item.end > call.end + 1 || !item.node) continue;
    for (const ref of freeReferences(item.node)) {
      const to = ref.namespace === "ordinary" && !params.has(ref.name) ? renameTo(ref.name) : undefined;
      // Only the body: the macro's arguments are the syscall's name, types and parameter names.
      if (!to || ref.start < call.bodyStart || ref.end > call.end) continue;
      renames.push({ start: ref.start, end: ref.end, text: to });
      opts.onRename(ref.name);
    }
  }
  for (const t of identifierTokens(call.text)) opts.onIdentifier(t.name);
  const text = applyRenames(call.text, renames, call.start);
  // Every alternative signature of the call (#if branches) uses the klpp_ macros.
  return opts.keepMacro ? text : text.replace(/(^|\n)([ \t]*)((?:COMPAT_)?SYSCALL_DEFINE[0-6])\b/g, "$1$2KLPP_$3");
}

/**
 * `SYSCALL_DEFINE3(mknod, const char __user *, filename, umode_t, mode, ...)`: the
 * parameter names (every second argument after the name) of every alternative head.
 */
function parameterNames(text: string): Set<string> {
  const params = new Set<string>();
  for (const m of text.matchAll(/(?:COMPAT_)?SYSCALL_DEFINE[0-6]\s*\(/g)) {
    const open = m.index + m[0].length - 1;
    const end = skipGroup(text, open, "(", ")");
    if (end < 0) continue;
    const args = text.slice(open + 1, end - 1).split(",").map((a) => a.trim());
    for (const a of args.slice(1).filter((_, i) => i % 2 === 1)) params.add(/(\w+)\s*$/.exec(a)?.[1] ?? a);
  }
  return params;
}
