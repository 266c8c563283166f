import type { PpDecl, SourceItem } from "../model/syntax.js";
import type { Closure } from "../closure/closure.js";

/**
 * A file-scope macro call of the TU's own files that expands to function
 * definitions (ext4.h's `EXT4_FEATURE_COMPAT_FUNCS(dir_index, DIR_INDEX)`,
 * three static inlines): when the closure copies one of them, the call itself
 * is copied (the closure took all of them, computeClosure), and gcc expands
 * it in the livepatch as it did in the TU. Undefined when the item is no such
 * call, or when copying it would be wrong: it also defines data (new state)
 * or types, or it defines a function that is replaced under a klpp_ name,
 * which a call cannot be renamed to (KLP-E028 then).
 */
export function copiedMacroCall(item: SourceItem, decls: PpDecl[], closure: Closure, keepNames: boolean): string[] | undefined {
  // A call tree-sitter reads as a declaration (`DECLARE_X(a, b);`) too: only a macro puts a definition there.
  if (item.kind !== "other" && item.kind !== "declaration") return undefined;
  const functions = decls.filter((d) => d.kind === "function");
  if (!functions.some((d) => closure.patched.has(d.name) || closure.copiedFunctions.has(d.name))) return undefined;
  // Declarations (a tracepoint's `extern struct tracepoint __tracepoint_x;`) define nothing.
  if (decls.some((d) => d.kind !== "function" && d.kind !== "prototype" && d.kind !== "extern-variable")) return undefined;
  if (!keepNames && functions.some((d) => closure.patched.has(d.name))) return undefined;
  return [...new Set(functions.map((d) => d.name))];
}
