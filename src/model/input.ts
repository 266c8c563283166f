import type { SourceLocation } from "../diagnostics/diagnostic.js";

/** One hunk of a unified diff, in the numbering of the patched ("new") file. */
export interface Hunk {
  /** First line of the hunk in the new file (1-based). */
  newStart: number;
  /** Number of new-file lines the hunk spans (context included). */
  newLines: number;
  /** New-file lines that the hunk adds, with their text. */
  added: Array<{ line: number; text: string }>;
  /** Old-file lines that the hunk deletes, with their text. */
  deleted: Array<{ line: number; text: string }>;
  /** Where the hunk header is in the patch file. */
  location: SourceLocation;
  /** The hunk's `@@ -a,b +c,d @@` line, as the patch has it (for messages). */
  header: string;
  /** Lines of the patch file the hunk takes, its `@@` line included (to hand it to GNU patch alone). */
  patchLines: number;
  /** True when every added and deleted line is blank or a comment only. */
  cosmetic: boolean;
}

/** What a patch does to one file; only `modify` is a change a livepatch can make. */
export type FileChange =
  | { kind: "modify" }
  | { kind: "create" }
  | { kind: "delete" }
  | {
      kind: "rename" | "copy";
      /** The old path, relative to the tree like FilePatch.path. */
      from: string;
    }
  /** A git binary diff or "Binary files ... differ". */
  | { kind: "binary" };

/** The changes a patch makes to one file. */
export interface FilePatch {
  /** Path relative to the kernel source tree (first component removed, as `patch -p1` does); never absolute, never with `..`. */
  path: string;
  /**
   * Set when the name in the patch is not valid UTF-8: `path` then holds its
   * bytes one per character (latin1), which is how the file is found on disk.
   */
  latin1Name?: true;
  /** Created, deleted, renamed ... or modified in place. */
  change: FileChange;
  /** Where the file's header (`diff --git` or `---`) is in the patch file. */
  location: SourceLocation;
  hunks: Hunk[];
}

/** A parsed patch file. */
export interface PatchSet {
  /** The patch file as given on the command line. */
  file: string;
  /** Subject line of a `git format-patch` mail, if any; of a series, every mail's, joined by "; ". */
  subject?: string;
  files: FilePatch[];
}

/** One line of /proc/kallsyms or System.map. */
export interface KernelSymbol {
  name: string;
  /** Address as hex text (kallsyms may print zeros when kptr_restrict hides them). */
  address: string;
  /** nm-style type letter: t/T text, d/D data, b/B bss, r/R rodata, w/W weak ... */
  type: string;
  /** Module name for `[mod]` entries; undefined for vmlinux. */
  module?: string;
  /** Position in the file; the file's order is kallsyms order, which is what sympos counts. */
  index: number;
}

/** A defined symbol of an object file (a module's .ko, a TU's .o), typed like nm, with its place in the object. */
export interface ObjectSymbol extends KernelSymbol {
  /** The section it is defined in (.text, .text.unlikely, .rodata ...). */
  section: string;
  /** Its offset in that section (st_value of a relocatable file). */
  offset: bigint;
}

/** Lookup by name: what SymbolTable users need of a Map. */
export interface SymbolsByName {
  get(name: string): KernelSymbol[] | undefined;
  has(name: string): boolean;
  /** Every name, in no particular order (for dumps and tests). */
  keys(): Iterable<string>;
  /** The symbol at a position of the file (kallsyms order), to look at a symbol's neighbours. */
  at(index: number): KernelSymbol | undefined;
}

/** The running kernel's symbols, by name, each list in kallsyms order. */
export interface SymbolTable {
  /** The file it was read from. */
  file: string;
  /** Symbols by name, each list in kallsyms order (a Map, or the reader's lazy index). */
  byName: SymbolsByName;
  /** Modules that have at least one symbol in the table (it was dumped with them loaded). */
  modules: Set<string>;
}

/** One exported symbol from Module.symvers. */
export interface ExportedSymbol {
  name: string;
  /** "vmlinux" or the module path that exports it. */
  module: string;
  /** EXPORT_SYMBOL or EXPORT_SYMBOL_GPL (…_NS variants included). */
  exportType: string;
}

/** Module.symvers, by symbol name (a Map, or the reader's lazy index). */
export interface ExportTable {
  get(name: string): ExportedSymbol | undefined;
  has(name: string): boolean;
  /** Every name, in the order of its first line (for dumps and tests). */
  keys(): Iterable<string>;
}

/** A call-graph node of gcc's IPA dump: a function identified by (name, order). */
export interface IpaNode {
  name: string;
  order: number;
  file: string;
  line: number;
}

/** One record of a `-fdump-ipa-clones` dump. */
export type IpaRecord =
  | { kind: "clone"; original: IpaNode; clone: IpaNode; reason: string; location: SourceLocation }
  | { kind: "removal"; node: IpaNode; location: SourceLocation };

/** A TU's compile command as kbuild ran it. */
export interface CompileCommand {
  /** Directory the command runs in (the build tree). */
  cwd: string;
  /** argv, argv[0] the compiler. */
  argv: string[];
  /** The .cmd file it came from. */
  source: string;
  /** Module name the TU belongs to (KBUILD_MODNAME), when known. */
  modName?: string;
  /** True when compiled for a loadable module (-DMODULE). */
  isModule: boolean;
}
