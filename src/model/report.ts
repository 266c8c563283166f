import type { Diagnostic } from "../diagnostics/diagnostic.js";

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
