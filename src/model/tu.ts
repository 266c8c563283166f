import type { IpaRecord, ObjectSymbol } from "./input.js";
import type { PpDecl, PreprocessedTu, SourceFile } from "./syntax.js";

/** A translation unit the patch touches, with everything read and parsed about it. */
export interface TuContext {
  /** Path of the .c file relative to the source tree, e.g. fs/proc/meminfo.c. */
  relPath: string;
  /** Patched source of the .c file. */
  main: SourceFile;
  /** Unpatched source of the .c file (to tell real changes from cosmetic ones). */
  original: SourceFile;
  /** Headers the TU includes that a module build cannot include (not under include/): parsed. */
  localHeaders: Map<string, SourceFile>;
  /** The preprocessed patched TU. */
  tu: PreprocessedTu;
  /** Maps a file name as line markers spell it to a source-relative path (undefined: not in the tree). */
  markerToRel: Map<string, string>;
  /** klp object: "vmlinux" or the module name. */
  object: string;
  /** IPA clone records of the TU (empty when no dump was found). */
  ipa: IpaRecord[];
  /** True when a dump was found. */
  hasIpaDump: boolean;
  /** The compile command's argv, when the TU was preprocessed with one (for -flive-patching checks). */
  compileFlags?: string[];
  /** Where that command runs. */
  compileCwd?: string;
  /**
   * When the klp object is a module the symbol table was dumped without: the
   * symbols its `.ko` (from the modules tree) or, failing that, the TU's own
   * compiled `.o` defines, in symbol-table order, and which file said so.
   */
  moduleSymbols?: { file: string; symbols: ObjectSymbol[]; wholeModule: boolean };
  /** The TU's compiled (unpatched) object in the build tree, when there is one: it places same-named statics. */
  objectFile?: string;
  /** Parses (once) a file of the source tree by relative path; undefined when it is not there. */
  loadSource: (relPath: string) => SourceFile | undefined;
}

/** Where a declaration lives, seen from the livepatch. */
export type DeclHome = "main" | "local-header" | "header";

/** Classifies a declaration of the .i by the file it came from. */
export function homeOf(ctx: TuContext, d: Pick<PpDecl, "file">): DeclHome {
  const rel = ctx.markerToRel.get(d.file);
  if (rel === ctx.relPath) return "main";
  if (rel !== undefined && ctx.localHeaders.has(rel)) return "local-header";
  return "header";
}

const ownDeclsCache = new WeakMap<TuContext, Map<string, PpDecl[]>>();
const mainDeclsCache = new WeakMap<TuContext, Map<string, PpDecl[]>>();

/**
 * The TU's declarations from its own files (the .c and its local headers),
 * by name, names in TU order. Read once per TU: several stages walk them,
 * and reading them means skimming every chunk of those files.
 */
export function ownDecls(ctx: TuContext): Map<string, PpDecl[]> {
  let hit = ownDeclsCache.get(ctx);
  if (!hit) ownDeclsCache.set(ctx, (hit = ctx.tu.decls.inFiles((file) => homeOf(ctx, { file }) !== "header")));
  return hit;
}

/** ownDecls() of the .c file alone. */
export function mainFileDecls(ctx: TuContext): Map<string, PpDecl[]> {
  let hit = mainDeclsCache.get(ctx);
  if (hit) return hit;
  hit = new Map();
  for (const [name, decls] of ownDecls(ctx)) {
    const here = decls.filter((d) => homeOf(ctx, d) === "main");
    if (here.length) hit.set(name, here);
  }
  mainDeclsCache.set(ctx, hit);
  return hit;
}
