import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { Decision, SymbolUse } from "./policy.js";

/** A function the livepatch replaces (a klp_func). */
export interface PatchedFunction {
  /** Kernel symbol name of the old function. */
  name: string;
  /** Source function whose new text replaces it (differs from name for clones). */
  sourceName: string;
  object: string;
  /** livepatch old_sympos: 0 when the name is unique in its object. */
  sympos: number;
  /** Chain from the changed line to this function. */
  reason: string;
}

/** One piece of the generated C file, in output order. */
export interface OutputPiece {
  /** Original file it came from (relative to the source tree), or "klp-ccp" for generated text. */
  origin: string;
  /** First original line, 0 for generated text. */
  line: number;
  kind: "include" | "macro" | "type" | "declaration" | "function" | "patched-function" | "externalized" | "prototype";
  /** Final C text (renames applied). */
  text: string;
  /** Why the piece is here, for its banner comment. */
  note?: string;
  /** For functions: the name (as in the source) the piece defines. */
  defines?: string;
  /** For includes: what the include brings in, and whether the copied code needs it. */
  include?: {
    /** Files (as line markers name them) first read through this include. */
    files: string[];
    /** Something the copied code uses comes from these files. */
    needed: boolean;
    /** Left out (commented) because a trial compile as a module failed inside it. */
    dropped: boolean;
  };
}

/** Everything render/ needs: finished data, no decisions left. */
export interface LivepatchPlan {
  /** Module name (valid C identifier). */
  name: string;
  mode: "kallsyms" | "klp-reloc";
  /** Patch subject or file name, for the header comment. */
  title: string;
  /** Kernel release the patch was made for, when known. */
  kernel: string;
  /** Pieces before the includes (pr_fmt and similar), includes, then code. */
  preamble: OutputPiece[];
  includes: OutputPiece[];
  body: OutputPiece[];
  /** A system call is copied with KLPP_SYSCALL_DEFINEn: emit those macros after the includes. */
  syscallWrappers: boolean;
  patched: PatchedFunction[];
  /** Reached through the symbol table: a klpe_ pointer or name, or (klp-reloc) a header declaration bound by an asm label. */
  externalized: Array<SymbolUse & { decision: Extract<Decision, { kind: "externalize" | "bind-label" }> }>;
  /** Referenced by name: exported, or assumed reachable without --symbols. */
  referenced: SymbolUse[];
  copied: string[];
  /** Static variables with no symbol and no state (folded by gcc), copied with their definition, and why. */
  copiedData?: SymbolUse[];
  /** For each copied function, type or symbol: the function whose code needed it first. */
  usedBy: Record<string, string>;
  /** The TU's compile command, for the trial compile of the result (not for templates). */
  compile?: { argv: string[]; cwd: string };
  /** Every name the closure reaches with the policy's decision (decide/policy.ts), by name: for the policy's stage test and dumps (not for templates). */
  decisions?: Record<string, Decision>;
  /** The functions the livepatch defines, as the kernel compiled them: what the equivalence check compares the copies with (not for templates). */
  originals?: OriginalFunction[];
  diagnostics: Diagnostic[];
}

/** A function of the TU as the kernel compiled it: its text in the TU's preprocessed output. */
export interface OriginalFunction {
  /** Its name in the TU (the livepatch's copy may be klpp_/klpr_ renamed). */
  name: string;
  /** Where its definition starts: the file as the TU's line markers spell it, and the 1-based line. */
  markerFile: string;
  line: number;
  /** The file relative to the source tree, when it is in it (for messages). */
  file: string;
  /** The whole definition as `gcc -E` wrote it (line markers included). */
  text: string;
}
