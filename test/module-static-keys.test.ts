// KLP-E048: jump labels on a target module's static keys in klp-reloc mode. The text is
// what the livepatch of drivers/usb/host/xhci-ring.c (6.1.176 -> 6.1.187) copied from
// xhci-trace.h's expansion; its module made xhci_hcd fail to load (-ENOEXEC).
import { describe, expect, it } from "vitest";
import { DiagnosticSink } from "../src/diagnostics/diagnostic.js";
import type { OutputPiece } from "../src/model/plan.js";
import type { SymbolUse } from "../src/model/policy.js";
import { refuseModuleStaticKeys } from "../src/decide/module-static-keys.js";

const use = (name: string, object: string): SymbolUse => ({
  name, what: "variable", object, isStatic: false, reason: "test", placement: "after-includes",
  decision: { kind: "externalize", sympos: 0 },
} as SymbolUse);
const piece = (text: string): OutputPiece => ({ origin: "drivers/usb/host/xhci-trace.h", line: 157, kind: "function", text });
const trace = piece("static inline void trace_xhci_handle_event(struct xhci_ring *ring, struct xhci_generic_trb *trb) {\n\tif (static_key_false(&klpe___tracepoint_xhci_handle_event.key)) do {\n\t} while (0);\n}");

function run(uses: SymbolUse[], body: OutputPiece[], mode: "kallsyms" | "klp-reloc") {
  const sink = new DiagnosticSink();
  refuseModuleStaticKeys({ uses, body, mode, relPath: "drivers/usb/host/xhci-ring.c", sink });
  return sink.items.map((d) => d.code);
}

describe("module static keys (KLP-E048)", () => {
  it("refuses a module's tracepoint key tested by copied code in klp-reloc mode", () => {
    expect(run([use("__tracepoint_xhci_handle_event", "xhci_hcd")], [trace], "klp-reloc")).toEqual(["KLP-E048"]);
  });
  it("near misses: vmlinux's keys (bound before jump labels are set up), kallsyms mode, a module variable, a module's own key (h10-bonding-procfs-inline loads)", () => {
    expect(run([use("bond_bcast_neigh_enabled", "bonding")], [piece("if (static_branch_unlikely(&klpe_bond_bcast_neigh_enabled)) f();")], "klp-reloc")).toEqual([]);
    expect(run([use("__tracepoint_xhci_handle_event", "vmlinux")], [trace], "klp-reloc")).toEqual([]);
    expect(run([use("__tracepoint_xhci_handle_event", "xhci_hcd")], [trace], "kallsyms")).toEqual([]);
    expect(run([use("numdummies", "dummy")], [piece("return klpe_numdummies + 1;")], "klp-reloc")).toEqual([]);
    // The event copied as klpr_trace_X (a private trace header's too) tests the key at run time: no jump label.
    const copy: OutputPiece = { ...trace, origin: "klp-ccp", text: trace.text.replace("trace_xhci", "klpr_trace_xhci") };
    expect(run([use("__tracepoint_xhci_handle_event", "xhci_hcd")], [copy, piece("static struct tracepoint klpe___tracepoint_xhci_handle_event;")].map((p, i) => (i ? { ...p, kind: "externalized" as const } : p)), "klp-reloc")).toEqual([]);
  });
});
