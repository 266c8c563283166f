import type { OutputPiece } from "../model/plan.js";
import type { TuContext } from "../model/tu.js";

/**
 * MODULE_IMPORT_NS(NS) as the preprocessor leaves it: `static const char __UNIQUE_ID_import_nsN[]
 * ... = "import_ns" "=" "NS";` (a .modinfo string; built-in code has `"modname" "."` before it).
 */
const IMPORT_NS = /\b__UNIQUE_ID_import_ns\w*\s*\[\s*\][^=;]*=\s*(?:"[^"\\]*"\s*)*?"import_ns"\s*"="\s*"([^"\\]+)"\s*;/g;

/**
 * The symbol namespaces the TU imports (usb-storage drivers' MODULE_IMPORT_NS(USB_STORAGE)),
 * imported by the livepatch too: its copies call the same namespaced exports, and modpost
 * refuses a module that uses one without importing its namespace. Written as MODULE_INFO,
 * which every kernel spells the same way (MODULE_IMPORT_NS took a bare name before 6.13).
 */
export function namespaceImports(ctx: TuContext): OutputPiece[] {
  const names = [...new Set([...ctx.tu.text.matchAll(IMPORT_NS)].map((m) => m[1]!))].sort();
  if (names.length === 0) return [];
  const text = names.map((n) => `MODULE_INFO(import_ns, "${n}");`).join("\n");
  return [{ origin: "klp-ccp", line: 0, kind: "declaration", text, note: `${ctx.relPath} imports symbol namespace(s) ${names.join(", ")}: so does the livepatch, whose copies may use their exports` }];
}
