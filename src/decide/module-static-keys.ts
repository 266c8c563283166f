import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { OutputPiece, SymbolUse } from "../model/plan.js";

export interface ModuleStaticKeysOptions {
  uses: SymbolUse[];
  /** The livepatch's body (the copied code, and the declarations binding header code's symbols). */
  body: OutputPiece[];
  mode: "kallsyms" | "klp-reloc";
  relPath: string;
  sink: DiagnosticSink;
}

/**
 * klp-reloc mode: a jump label in the livepatch on the tracepoint key of a
 * target module (a driver's own trace event, whose `__tracepoint_X.key` is the
 * module's) is a `.klp.rela.<module>.__jump_table` relocation, applied only
 * when that module loads; 6.1 sets up the livepatch's jump labels at its own
 * load, sorting and linking entries whose key is not bound yet, and the
 * module's load then fails (-ENOEXEC: the relocation's target is no longer
 * zero, seen with drivers/usb/host/xhci-ring.c). Refused: KLP-E048.
 */
export function refuseModuleStaticKeys(o: ModuleStaticKeysOptions): void {
  if (o.mode !== "klp-reloc") return;
  const moduleSymbols = new Map(o.uses.filter((u) => u.decision.kind === "externalize" && u.object !== "vmlinux").map((u) => [u.name, u]));
  // A trace event tests its tracepoint's key (copied from its expansion, or header code bound by
  // name). A module key the copied code tests itself (test/kernel-cases/h10-bonding-procfs-inline)
  // is left alone: one entry has loaded; what sorting the entries does to it is not shown yet.
  const names = [...moduleSymbols.keys()].filter((n) => n.startsWith("__tracepoint_") && o.body.some((p) => p.text.includes(n))).sort();
  if (names.length === 0) return;
  const object = moduleSymbols.get(names[0]!)!.object;
  o.sink.report({
    code: "KLP-E048",
    severity: "error",
    message: `the copied code fires trace events of module ${object} (${names.slice(0, 4).join(", ")}${names.length > 4 ? ", ..." : ""}) through jump labels: in klp-reloc mode their relocations wait for ${object} to load, after the livepatch's jump labels were set up, and 6.1 then refuses to load ${object}`,
    location: { file: o.relPath, line: 0, column: 0 },
    hint: "usually a trace event of the module fires in the replaced code: patch a function that does not, or write the livepatch by hand without the tracepoint",
  });
}
