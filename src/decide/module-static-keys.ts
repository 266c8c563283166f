import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { OutputPiece } from "../model/plan.js";
import { effective, type SymbolUse } from "../model/policy.js";

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
 * zero, seen with drivers/usb/host/xhci-ring.c when its trace events were still
 * copied from their expansion). Trace events are now copied as klpr_trace_X,
 * which test the key at run time; a jump label left in copied code: KLP-E048.
 */
export function refuseModuleStaticKeys(o: ModuleStaticKeysOptions): void {
  if (o.mode !== "klp-reloc") return;
  const reached = (u: SymbolUse) => ["externalize", "bind-label"].includes(effective(u.decision)?.kind ?? "");
  const moduleSymbols = new Map(o.uses.filter((u) => reached(u) && u.object !== "vmlinux").map((u) => [u.name, u]));
  // A trace event tests its tracepoint's key (copied from its expansion, or header code bound by
  // name). A module key the copied code tests itself (test/kernel-cases/h10-bonding-procfs-inline)
  // is left alone: one entry has loaded; what sorting the entries does to it is not shown yet.
  // A trace event copied as klpr_trace_X (tracepoints.ts, a driver's private trace header's too)
  // tests its key at run time (runtimeStaticKeys): no jump label. Copied functions (an expansion
  // that still holds one) are what is left.
  const copied = o.body.filter((p) => p.origin !== "klp-ccp" && (p.kind === "function" || p.kind === "patched-function"));
  const names = [...moduleSymbols.keys()].filter((n) => n.startsWith("__tracepoint_") && copied.some((p) => new RegExp(`\\b(?:klpe_)?${n}\\b`).test(p.text))).sort();
  if (names.length === 0) return;
  const object = moduleSymbols.get(names[0]!)!.object;
  o.sink.report({
    code: "KLP-E048",
    severity: "error",
    message: `copied code tests tracepoint keys of module ${object} (${names.slice(0, 4).join(", ")}${names.length > 4 ? ", ..." : ""}) with jump labels: in klp-reloc mode their relocations wait for ${object} to load, after the livepatch's jump labels were set up, and 6.1 then refuses to load ${object}`,
    location: { file: o.relPath, line: 0, column: 0 },
    hint: "trace events are copied as klpr_trace_X (run-time key tests); this jump label is in copied code itself: patch a function that does not test the key",
  });
}
