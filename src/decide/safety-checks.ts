import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { OutputPiece, PatchedFunction } from "../model/plan.js";
import type { SymbolUse } from "../model/policy.js";
import type { TuContext } from "../model/tu.js";
import type { Closure } from "../closure/closure.js";
import { refuseModuleStaticKeys } from "./module-static-keys.js";
import { checkCopiedState, checkSafety } from "./safety.js";

/** What the checks of each point of a TU's analysis read. */
export interface SafetyFacts {
  /** The replacement targets are known (IPA): the patch itself and how the TU was compiled. */
  targets: {
    ctx: TuContext;
    /** Patch mode (not --functions): the original and patched text differ. */
    isPatch: boolean;
    /** Functions the patch changes (source names). */
    changed: string[];
    /** The klp_funcs: changed functions and the callers they were inlined into. */
    patched: PatchedFunction[];
  };
  /** The closure is known: what is copied. */
  closure: {
    ctx: TuContext;
    isPatch: boolean;
    closure: Closure;
    /** Functions the patch adds. */
    added: Set<string>;
  };
  /** The livepatch's text is laid out. */
  assembled: {
    ctx: TuContext;
    mode: "kallsyms" | "klp-reloc";
    /** The policy's decisions for the closure's functions and variables. */
    uses: SymbolUse[];
    body: OutputPiece[];
  };
}

type When = keyof SafetyFacts;

/** One check: when it runs, the codes it reports, and the check. */
type SafetyCheck = { [W in When]: { when: W; codes: string[]; run: (facts: SafetyFacts[W], sink: DiagnosticSink) => void } }[When];

/**
 * The safety checks of a TU, in the order they run. Elsewhere, because they
 * change what they check rather than only report: the fix's files before any
 * TU (changed headers, KLP-E020: analyse-tu's tuFilesOf), deleted functions
 * (dropDeletedFunctions), IBT (checkIbt sets how a function is called), the
 * policy's refusals (decide/policy.ts), an empty livepatch (KLP-E040), and
 * the TUs of one fix against each other (cross-tu.ts).
 */
export const SAFETY_CHECKS: SafetyCheck[] = [
  {
    when: "targets",
    codes: ["KLP-E023", "KLP-E024", "KLP-E025", "KLP-E026", "KLP-W003", "KLP-W005", "KLP-W006", "KLP-W009"],
    run: (f, sink) => {
      if (f.isPatch) checkSafety({ original: f.ctx.original, patched: f.ctx.main, changed: f.changed, replaced: f.patched.map((p) => p.sourceName), object: f.ctx.object, netNamespaces: Boolean(f.ctx.tu.macros.get("CONFIG_NET_NS")?.length), sink });
    },
  },
  {
    when: "targets",
    codes: ["KLP-E025"],
    // kbuild drops ftrace's flags where a Makefile says CFLAGS_REMOVE_x.o = $(CC_FLAGS_FTRACE).
    run: ({ ctx, isPatch, patched }, sink) => {
      if (!isPatch || !ctx.compileFlags || ctx.compileFlags.some((f) => f === "-pg" || f.startsWith("-fpatchable-function-entry="))) return;
      sink.report({ code: "KLP-E025", severity: "error", message: `${ctx.relPath} is compiled without ftrace's -pg (its Makefile removes CC_FLAGS_FTRACE): its functions have no mcount/fentry call, so ftrace cannot redirect ${patched.map((p) => p.name).join(", ")}`, location: { file: ctx.relPath, line: 0, column: 0 }, hint: "patch callers of these functions that live in a traced TU instead" });
    },
  },
  {
    when: "targets",
    codes: ["KLP-W007"],
    run: ({ ctx, isPatch }, sink) => {
      if (!isPatch || !ctx.compileFlags || ctx.compileFlags.some((f) => f.startsWith("-flive-patching="))) return;
      sink.report({ code: "KLP-W007", severity: "warning", message: `${ctx.relPath} was compiled without -flive-patching: IPA effects the clone dump does not record (ipa-ra, ipa-icf, ipa-pure-const ...) may make callers depend on the old code`, location: { file: ctx.relPath, line: 0, column: 0 } });
    },
  },
  {
    when: "closure",
    codes: ["KLP-W001"],
    run: ({ ctx, closure, added }, sink) => {
      for (const fn of [...added].filter((n) => !closure.copiedFunctions.has(n)).sort()) {
        const item = ctx.main.items.find((i) => i.kind === "function" && i.name === fn)!;
        sink.report({ code: "KLP-W001", severity: "warning", message: `the patch adds function ${fn}, which no replaced function calls: it is not in the livepatch`, location: { file: ctx.relPath, line: item.startLine, column: 1 }, hint: "a new function reached only from data (an ops table) or from other files needs those users patched too" });
      }
    },
  },
  {
    when: "closure",
    codes: ["KLP-W005", "KLP-W006"],
    run: ({ ctx, isPatch, closure }, sink) => {
      if (isPatch) checkCopiedState({ files: [ctx.main, ...ctx.localHeaders.values()], copied: closure.copiedFunctions, sink });
    },
  },
  {
    when: "assembled",
    codes: ["KLP-E048"],
    run: ({ ctx, mode, uses, body }, sink) => refuseModuleStaticKeys({ uses, body, mode, relPath: ctx.relPath, sink }),
  },
];

/** Runs the checks of one point, in list order. */
export function runSafetyChecks<W extends When>(when: W, facts: SafetyFacts[W], sink: DiagnosticSink): void {
  for (const check of SAFETY_CHECKS) if (check.when === when) (check.run as (f: SafetyFacts[W], s: DiagnosticSink) => void)(facts, sink);
}
