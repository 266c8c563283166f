import type { DiagnosticSink, SourceLocation } from "../diagnostics/diagnostic.js";
import type { KernelConfig } from "../model/kernel-config.js";
import type { SymbolUse } from "../model/policy.js";

export interface IbtCheckOptions {
  /** The kernel's .config as read (undefined: unknown, taken as no IBT). */
  config: KernelConfig | undefined;
  mode: "kallsyms" | "klp-reloc";
  /** Every symbol decision of the TU; the externalized ones are checked. */
  uses: SymbolUse[];
  /** Where the livepatch's own code names a symbol other than by calling it (its address), by name. */
  addressUses: Map<string, SourceLocation[]>;
  /** True when the kernel's unchanged code takes the address of this static function of the TU. */
  kernelTakesAddress: (name: string) => boolean;
  /** Where the first user of a name is, for the refusal's location. */
  usedAt: (name: string) => SourceLocation;
  sink: DiagnosticSink;
}

/**
 * On an IBT kernel (CONFIG_X86_KERNEL_IBT=y) objtool seals the ENDBR of every
 * function whose address vmlinux never takes: an indirect call to it faults on
 * a CPU that enforces IBT (qemu's TCG does not, so a boot test cannot tell).
 * kallsyms mode needs indirect calls (the kallsyms walker, which vmlinux only
 * calls directly, and every klpe_ function pointer), so it is refused when the
 * livepatch must look anything up (KLP-E056). klp-reloc mode calls functions
 * directly; its one danger is new code that takes the address of a sealed
 * function (KLP-E057 for a static one the TU never takes the address of,
 * KLP-W018 for a global one, which another file may keep unsealed).
 * Returns the uses with klp-reloc functions marked as IBT-bound for the report.
 */
export function checkIbt(o: IbtCheckOptions): SymbolUse[] {
  const line = o.config?.ibtLine;
  if (line === undefined) return o.uses;
  const externalized = o.uses.filter((u) => u.decision.kind === "externalize");
  const why = `${o.config!.file}:${line} sets CONFIG_X86_KERNEL_IBT=y`;
  if (o.mode === "kallsyms" && externalized.length) {
    const first = externalized[0]!;
    const names = externalized.map((u) => `${u.name} (${u.what})`).join(", ");
    o.sink.report({
      code: "KLP-E056",
      severity: "error",
      message: `kallsyms mode cannot reach ${names} on this kernel: ${why}, which seals the ENDBR of every function vmlinux never takes the address of, and the lookup calls kallsyms_on_each_symbol (only ever called directly) through a pointer, as it would call every externalized function; on a CPU that enforces IBT the livepatch would fault at its first lookup`,
      location: o.usedAt(first.name),
      hint: "use --externalize klp-reloc: the livepatch loader binds .klp.sym relocations and calls stay direct (run `klp-ccp fixup` on the built .ko)",
    });
    return o.uses;
  }
  if (o.mode !== "klp-reloc") return o.uses;
  for (const u of externalized) {
    if (u.what !== "function") continue;
    const at = o.addressUses.get(u.name);
    if (!at?.length) continue;
    if (u.isStatic && !o.kernelTakesAddress(u.name)) {
      o.sink.report({
        code: "KLP-E057",
        severity: "error",
        message: `the livepatch takes the address of ${u.name}, a static function of ${u.object} whose address the kernel never takes: ${why}, so its ENDBR is sealed and an indirect call through that pointer faults on a CPU that enforces IBT`,
        location: at[0]!,
        hint: `call ${u.name} directly, or copy it into the livepatch (a function of the module keeps its ENDBR)`,
      });
    } else if (!u.isStatic) {
      o.sink.report({
        code: "KLP-W018",
        severity: "warning",
        message: `the livepatch takes the address of ${u.name}, a non-exported function of ${u.object}: ${why}; if no code of the kernel takes its address too, its ENDBR is sealed and an indirect call through that pointer faults on a CPU that enforces IBT`,
        location: at[0]!,
        hint: `check that the kernel takes ${u.name}'s address somewhere (an ops table, a callback), or call it directly`,
      });
    }
  }
  return o.uses.map((u) => (u.what === "function" && u.decision.kind === "externalize" && u.decision.resolution.kind === "klp-relocation" ? { ...u, decision: { ...u.decision, resolution: { kind: "klp-relocation", ibt: true } } } : u));
}
