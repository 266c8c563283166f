import type { Report } from "../model/report.js";
import type { LivepatchPlan } from "../model/plan.js";
import type { Resolution } from "../model/policy.js";

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
