import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { LivepatchPlan, Resolution } from "../model/plan.js";

/** report.json: every decision, machine-readable. */
export interface Report {
  name: string;
  externalize: "kallsyms" | "klp-reloc";
  /** klp_funcs: what is replaced, where, and the chain that made it necessary. */
  patched: Array<{ object: string; function: string; sympos: number; reason: string; tu?: string }>;
  /** Non-exported symbols reached through kallsyms or KLP relocations. */
  externalized: Array<{ object: string; symbol: string; sympos: number; kind: string; reason: string; resolution: string; tu?: string }>;
  /** Exported symbols the module links against by name. */
  referenced: Array<{ symbol: string; kind: string; exportedBy: string; tu?: string }>;
  /** Static functions with no symbol of their own, copied into the module. */
  copied: string[];
  /** Static variables gcc folded away (no symbol, no state), copied with their definition; only when there are some. */
  copiedData?: Array<{ symbol: string; reason: string }>;
  /** Which function's code needed each name first (the links of `klp-ccp explain`). */
  usedBy: Record<string, string>;
  /**
   * A fix over several TUs: each TU's own decisions (the `tu` of an entry above
   * names its TU), since two TUs may copy the same name; absent for one TU.
   */
  tus?: TuReport[];
  diagnostics: Diagnostic[];
}

/** One TU's share of a report over several TUs. */
export interface TuReport {
  /** The TU's .c file relative to the source tree. */
  tu: string;
  /** The livepatch's file made from it. */
  file: string;
  /** Its klp object. */
  object: string;
  copied: string[];
  usedBy: Record<string, string>;
}

/** The mechanism that fills in an externalized symbol's address, and why it is safe, in words. */
export function describeResolution(r: Resolution): string {
  switch (r.kind) {
    case "init-lookup":
      return "kallsyms lookup at the livepatch's init, before klp_enable_patch (vmlinux is always there)";
    case "module-load-lookup":
      return `kallsyms lookup in module ${r.module} when it loads (MODULE_STATE_COMING notifier: after the livepatch core patched it, before any of its code runs; a failed lookup fails its load) or at the livepatch's init if it is already loaded; cleared when it goes`;
    case "klp-relocation":
      return `klp relocation (.klp.sym), resolved by the kernel's livepatch loader when the object is patched${r.ibt ? "; called directly, never through a pointer: the kernel has IBT (CONFIG_X86_KERNEL_IBT=y) and seals the ENDBR of functions whose address it never takes" : ""}`;
  }
}

export function buildReport(plan: LivepatchPlan): Report {
  return {
    name: plan.name,
    externalize: plan.mode,
    patched: plan.patched.map((p) => ({ object: p.object, function: p.name, sympos: p.sympos, reason: p.reason })),
    externalized: plan.externalized.map((u) => ({ object: u.object, symbol: u.name, sympos: u.decision.sympos, kind: u.what, reason: u.reason, resolution: describeResolution(u.decision.resolution) })),
    referenced: plan.referenced.map((u) => ({ symbol: u.name, kind: u.what, exportedBy: u.decision.kind === "reference" ? u.decision.exportedBy : "" })),
    copied: plan.copied,
    ...(plan.copiedData?.length ? { copiedData: plan.copiedData.map((u) => ({ symbol: u.name, reason: u.reason })) } : {}),
    usedBy: plan.usedBy,
    diagnostics: plan.diagnostics,
  };
}
