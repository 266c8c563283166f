import type { LivepatchPlan } from "./plan.js";

/** One TU's share of a livepatch: its plan, analysed as if it were alone. */
export interface TuPart {
  /** The TU's .c file relative to the source tree, e.g. fs/proc/meminfo.c. */
  relPath: string;
  /**
   * An identifier made from relPath (fs/proc/meminfo.c → fs_proc_meminfo), unique
   * within the livepatch: it names the part's generated file (NAME_<key>.c) and the
   * global names by which the main file reaches the part's replaced functions.
   */
  key: string;
  /** The TU's plan. With several parts its name is the part's file stem, NAME_<key>. */
  plan: LivepatchPlan;
}

/**
 * A livepatch module over the TUs a fix changes. One part: the classic layout
 * (NAME.c holds everything). Several: one generated file per part, plus
 * NAME_main.c with the klp_patch (one klp_object per object).
 */
export interface LivepatchSet {
  /** Module name (valid C identifier). */
  name: string;
  mode: "kallsyms" | "klp-reloc";
  /** Patch subject or file name, for the header comments. */
  title: string;
  /** Kernel release the patch was made for, when known. */
  kernel: string;
  /** The TUs, in the order the fix names them. */
  parts: TuPart[];
}

/** The identifier of a TU path: fs/proc/meminfo.c → fs_proc_meminfo. */
export function tuKey(relPath: string): string {
  return relPath.replace(/\.c$/, "").replace(/[^A-Za-z0-9_]/g, "_");
}

/** Each TU's key (tuKey), made unique by a suffix where two paths give the same one. */
export function partKeys(relPaths: string[]): string[] {
  const seen = new Set<string>();
  return relPaths.map((p) => {
    let key = tuKey(p);
    for (let n = 2; seen.has(key); n++) key = `${tuKey(p)}_${n}`;
    seen.add(key);
    return key;
  });
}
