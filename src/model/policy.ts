import type { SourceLocation } from "../diagnostics/diagnostic.js";

/**
 * The one decision the policy (decide/policy.ts) makes for a name the closure
 * reaches: how the livepatch gets at it. Assembly and rendering switch over
 * it and never decide again.
 */
export type Decision =
  /** Exported (Module.symvers), or assumed reachable without --symbols: the code keeps the name, the module loader resolves it. */
  | {
      kind: "reference";
      /** The module that exports it (a Module.symvers path), or why it is assumed reachable. */
      exportedBy: string;
    }
  /** Not exported but in the symbol table: reached through a klpe_ pointer (kallsyms) or a klpe_ name with a KLP relocation (klp-reloc). */
  | {
      kind: "externalize";
      /** Position among the object's symbols of that name (livepatch sympos): 0 when unique. */
      sympos: number;
      /** Who fills in its address, and when. */
      resolution: Resolution;
    }
  /** Its definition is copied into the livepatch under its own name: a static function with no symbol, a static datum gcc folded (it holds no state), a replaced function in closure-only output. */
  | { kind: "copy" }
  /** Its definition is copied under a new name: a replaced function or a changed `static const` table (klpp_), a header inline that reaches externalized symbols (klpr_). */
  | {
      kind: "copy-renamed";
      /** The name the copy defines and every copied use spells. */
      newName: string;
    }
  /**
   * klp-reloc mode, a symbol only header code the module compiles names (so no
   * use can be renamed): its header declaration is bound to the `.klp.sym`
   * name by an asm label, after the includes.
   */
  | {
      kind: "bind-label";
      /** Position among the object's symbols of that name (livepatch sympos). */
      sympos: number;
      /** Always a klp relocation: the label names the `.klp.sym` symbol the loader resolves. */
      resolution: Extract<Resolution, { kind: "klp-relocation" }>;
    }
  /**
   * Nothing is emitted and nothing renamed: a header static inline the module
   * compiles from its header, a name only a compile-time trap gcc drops uses,
   * a static-call key modules reach through its exported trampoline.
   */
  | {
      kind: "leave";
      /** Why, in words. */
      why: string;
    }
  /**
   * The livepatch cannot reach it safely: the TU is refused with `code`, one
   * diagnostic per location. With `--force code` the run goes on with
   * `otherwise` (nothing when absent).
   */
  | {
      kind: "refuse";
      /** The diagnostic code (KLP-Ennn) of the refusal. */
      code: string;
      /** What cannot be done, one sentence. */
      message: string;
      /** What the user can do instead. */
      hint?: string;
      /** Where: one diagnostic each (a name used at several places). */
      locations: SourceLocation[];
      /** What is done when --force accepts the refusal; absent: the name gets nothing. */
      otherwise?: Exclude<Decision, { kind: "refuse" }>;
    };

/** When and by whom an externalized symbol's address is filled in. */
export type Resolution =
  /** kallsyms mode, a vmlinux symbol: looked up once at the livepatch's init (kallsyms_on_each_symbol). */
  | { kind: "init-lookup" }
  /**
   * kallsyms mode, a symbol of a module: looked up in that module's kallsyms when it loads
   * (a MODULE_STATE_COMING notifier, before any of its code runs; a failure fails its load)
   * or at the livepatch's init when it is already loaded; cleared when it goes.
   */
  | {
      kind: "module-load-lookup";
      /** The module (KBUILD_MODNAME) whose kallsyms hold it. */
      module: string;
    }
  /**
   * klp-reloc mode: a `.klp.sym` relocation the kernel's livepatch loader resolves. `ibt`: a
   * function of an IBT kernel, which must be called directly (its ENDBR may be sealed).
   */
  | {
      kind: "klp-relocation";
      /** Set for a function of an IBT kernel: called directly, never through a pointer. */
      ibt?: true;
    };

/** A symbol (function or variable) the new code uses, with what was decided for it. */
export interface SymbolUse {
  /** The name as the TU spells it. */
  name: string;
  /** "function" or "variable". */
  what: "function" | "variable";
  /** Object that holds it: "vmlinux" or a module name. */
  object: string;
  /** True when declared `static` in the TU. */
  isStatic: boolean;
  /** What the policy decided. */
  decision: Decision;
  /** Why, in words, for the report. */
  reason: string;
  /** Where the externalized declaration goes: after the includes, or at a main-file/local-header line. */
  placement: { file: string; line: number } | "after-includes";
}

/** The decision `d` stands for in a run that goes on: a refusal accepted with --force acts as its `otherwise`. */
export function effective(d: Decision): Exclude<Decision, { kind: "refuse" }> | undefined {
  return d.kind === "refuse" ? d.otherwise : d;
}

/** For exhaustive switches over Decision["kind"]: a compile error when a kind is left out. */
export function unhandled(d: never): never {
  throw new Error(`unhandled decision ${JSON.stringify(d)}`);
}
