import type { IpaRecord, ObjectSymbol } from "./input.js";
import type { PpDecl, PreprocessedTu, SourceFile } from "./syntax.js";

/** What loadTu read and parsed about a translation unit: the plain data a TranslationUnit is made of. */
export interface TuFacts {
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
}

/** How a TranslationUnit reads what it is asked for beyond its facts (injected: model/ reads no files). */
export interface TuReaders {
  /** Parses a file of the source tree by relative path; undefined when it is not there. */
  readSource?: (relPath: string) => SourceFile | undefined;
  /** The symbols of the TU's compiled object (objectFile); undefined when it cannot be read. */
  readObjectSymbols?: (file: string) => ObjectSymbol[] | undefined;
}

/**
 * A translation unit the patch touches: its facts, and the answers the
 * stages ask of it many times, each worked out once and kept here (they go
 * with the TU: nothing is kept in module-level tables). Queries that need
 * another stage's code (closure's callers, locate's text range) are worked
 * out there and kept in the fields under "Answers".
 */
export class TranslationUnit implements TuFacts {
  readonly relPath: string;
  readonly main: SourceFile;
  readonly original: SourceFile;
  readonly localHeaders: Map<string, SourceFile>;
  readonly tu: PreprocessedTu;
  readonly markerToRel: Map<string, string>;
  readonly object: string;
  readonly ipa: IpaRecord[];
  readonly hasIpaDump: boolean;
  readonly compileFlags?: string[];
  readonly compileCwd?: string;
  readonly moduleSymbols?: { file: string; symbols: ObjectSymbol[]; wholeModule: boolean };
  readonly objectFile?: string;

  // Answers (see the class comment).
  /** closure/ipa-targets: the TU's own functions whose bodies use a name, by that name. */
  readonly callers = new Map<string, string[]>();
  /** resolve/locate: the address range of the TU's uniquely named functions; null: none; undefined: not asked yet. */
  textRange: { lo: bigint; hi: bigint } | null | undefined;
  /** resolve/locate: the names whose own (first) node gcc's IPA dump removed; undefined: not asked yet. */
  removedNames: Set<string> | undefined;

  private readonly readers: TuReaders;
  private readonly sources = new Map<string, SourceFile | null>();
  private ownDeclsMemo: Map<string, PpDecl[]> | undefined;
  private mainDeclsMemo: Map<string, PpDecl[]> | undefined;
  private objectSymbolsMemo: ObjectSymbol[] | null | undefined;

  constructor(facts: TuFacts, readers: TuReaders = {}) {
    this.relPath = facts.relPath;
    this.main = facts.main;
    this.original = facts.original;
    this.localHeaders = facts.localHeaders;
    this.tu = facts.tu;
    this.markerToRel = facts.markerToRel;
    this.object = facts.object;
    this.ipa = facts.ipa;
    this.hasIpaDump = facts.hasIpaDump;
    if (facts.compileFlags) this.compileFlags = facts.compileFlags;
    if (facts.compileCwd) this.compileCwd = facts.compileCwd;
    if (facts.moduleSymbols) this.moduleSymbols = facts.moduleSymbols;
    if (facts.objectFile) this.objectFile = facts.objectFile;
    this.readers = readers;
  }

  /** A file of the source tree by relative path, parsed once (a local header is the one already parsed); undefined when it is not there. */
  loadSource(relPath: string): SourceFile | undefined {
    const local = this.localHeaders.get(relPath);
    if (local) return local;
    let hit = this.sources.get(relPath);
    if (hit === undefined) this.sources.set(relPath, (hit = this.readers.readSource?.(relPath) ?? null));
    return hit ?? undefined;
  }

  /** The symbols of the TU's compiled object, read once; undefined without an object or when it cannot be read. */
  objectSymbols(): ObjectSymbol[] | undefined {
    if (this.objectSymbolsMemo === undefined) this.objectSymbolsMemo = (this.objectFile ? this.readers.readObjectSymbols?.(this.objectFile) : undefined) ?? null;
    return this.objectSymbolsMemo ?? undefined;
  }

  /** Where a declaration of the .i lives, by the file it came from. */
  homeOf(d: Pick<PpDecl, "file">): DeclHome {
    const rel = this.markerToRel.get(d.file);
    if (rel === this.relPath) return "main";
    if (rel !== undefined && this.localHeaders.has(rel)) return "local-header";
    return "header";
  }

  /**
   * The TU's declarations from its own files (the .c and its local headers),
   * by name, names in TU order. Read once: several stages walk them, and
   * reading them means skimming every chunk of those files.
   */
  ownDecls(): Map<string, PpDecl[]> {
    return (this.ownDeclsMemo ??= this.tu.decls.inFiles((file) => this.homeOf({ file }) !== "header"));
  }

  /** ownDecls() of the .c file alone. */
  mainFileDecls(): Map<string, PpDecl[]> {
    if (this.mainDeclsMemo) return this.mainDeclsMemo;
    const out = new Map<string, PpDecl[]>();
    for (const [name, decls] of this.ownDecls()) {
      const here = decls.filter((d) => this.homeOf(d) === "main");
      if (here.length) out.set(name, here);
    }
    return (this.mainDeclsMemo = out);
  }
}

/** The name the stages use for a TranslationUnit (decide/ still spells it so). */
export type TuContext = TranslationUnit;

/** Where a declaration lives, seen from the livepatch. */
export type DeclHome = "main" | "local-header" | "header";

/** Classifies a declaration of the .i by the file it came from (TranslationUnit.homeOf). */
export function homeOf(ctx: TranslationUnit, d: Pick<PpDecl, "file">): DeclHome {
  return ctx.homeOf(d);
}

/** TranslationUnit.ownDecls. */
export function ownDecls(ctx: TranslationUnit): Map<string, PpDecl[]> {
  return ctx.ownDecls();
}

/** TranslationUnit.mainFileDecls. */
export function mainFileDecls(ctx: TranslationUnit): Map<string, PpDecl[]> {
  return ctx.mainFileDecls();
}
