/**
 * The slice of a syntax tree that stages above parse/ may use. tree-sitter's
 * nodes satisfy it structurally, so resolve/ and closure/ walk trees without
 * importing tree-sitter (only src/parse does).
 */
export interface SyntaxNode {
  /** Grammar node type, e.g. "function_definition", "identifier". */
  readonly type: string;
  /** Source text the node covers. */
  readonly text: string;
  /** Byte offset of the first character (UTF-16 index for JS strings of ASCII C). */
  readonly startIndex: number;
  /** Offset one past the last character. */
  readonly endIndex: number;
  /** 0-based row and column of the start. */
  readonly startPosition: { row: number; column: number };
  /** 0-based row and column of the end. */
  readonly endPosition: { row: number; column: number };
  readonly children: SyntaxNode[];
  readonly namedChildren: SyntaxNode[];
  readonly parent: SyntaxNode | null;
  /** True when this node or a descendant is an ERROR or MISSING node. */
  readonly hasError: boolean;
  childForFieldName(field: string): SyntaxNode | null;
  childrenForFieldName(field: string): SyntaxNode[];
  /** A cursor over this node's subtree (it cannot leave it). */
  walk(): SyntaxCursor;
}

/** tree-sitter's TreeCursor, the part walkers use: reads the node it is on without making node objects. */
export interface SyntaxCursor {
  readonly nodeType: string;
  readonly nodeText: string;
  readonly nodeIsNamed: boolean;
  readonly startIndex: number;
  readonly endIndex: number;
  /** The field the current node fills in its parent (null or undefined: none). */
  readonly currentFieldName: string | null | undefined;
  gotoFirstChild(): boolean;
  gotoNextSibling(): boolean;
  gotoParent(): boolean;
}

/** Kinds of top-level pieces of an original source file. */
export type SourceItemKind = "include" | "macro" | "function" | "declaration" | "other";

/** One top-level piece of an original (not preprocessed) source file. */
export interface SourceItem {
  kind: SourceItemKind;
  /** Offsets into SourceFile.text; the item's text is text.slice(start, end). */
  start: number;
  end: number;
  /** 1-based first and last line. */
  startLine: number;
  endLine: number;
  /** Function or macro name, when the item is one. */
  name?: string;
  /** For includes: the path between the quotes or angle brackets. */
  includePath?: string;
  /** For includes: true for `#include "..."`. */
  includeQuoted?: boolean;
  /** Where the item's syntax node starts, after a comment block attached to it (start for items without a node). */
  codeStart: number;
  /** 1-based line of codeStart. */
  codeStartLine: number;
  /**
   * The item's syntax node (functions, declarations, other code), for scope
   * analysis. Items read from a kept outline parse their node on first use.
   */
  node?: SyntaxNode;
  /** True when tree-sitter could not parse part of it. */
  hasError: boolean;
}

/**
 * A source file's items without their syntax nodes, and the extent of each
 * top-level node: what is kept of a parse between runs (parsing a big kernel
 * .c costs tens of ms; reading this back ~1 ms), and what a patched version
 * of the file is parsed against (only the part the patch changed is parsed).
 */
export interface SourceOutline {
  /** The parse layer's outline version (parse/source-outline.ts): another version's is not read. */
  version: number;
  /** The items, in SourceItem's fields, plus each node's type and end offset (a node is found again by them). */
  items: Array<Omit<SourceItem, "node"> & { nodeType?: string; nodeEnd?: number }>;
  /** Start and end offsets of the parse root's named children, and whether each is a comment. */
  tops: Array<[start: number, end: number, comment: boolean]>;
  /** True when the file needed the error-recovery parses (its items do not all come from one parse). */
  recovered: boolean;
}

/** Where outlines are kept, by the file text they were made from. */
export interface OutlineStore {
  get(text: string): SourceOutline | undefined;
  put(text: string, outline: SourceOutline): void;
}

/** An original source file split into top-level items. */
export interface SourceFile {
  /** Path relative to the kernel source tree. */
  path: string;
  text: string;
  /** Items in file order; items nested in #if blocks are flattened in. */
  items: SourceItem[];
  /** The functions SYSCALL_DEFINEn calls generate, kept by resolve/macro-defined-functions.ts once asked for (undefined: not asked yet). */
  macroFunctions?: MacroDefinedFunction[];
}

/** A function that a definition macro generates, where the file defines it. */
export interface MacroDefinedFunction {
  /** The function the macro expands to, e.g. __do_sys_umask. */
  name: string;
  /** The macro, e.g. SYSCALL_DEFINE1, and its first argument (umask). */
  macro: string;
  macroArg: string;
  /** 1-based lines from the macro's name to the body's closing brace. */
  startLine: number;
  endLine: number;
  /** Offsets of that text in the file. */
  start: number;
  end: number;
  /** Offset of the body's `{` in the file (after every alternative head). */
  bodyStart: number;
  /** That text (the macro call and the body). */
  text: string;
}


/** Namespaces of C names that matter here: ordinary identifiers and struct/union/enum tags. */
export type NameSpace = "ordinary" | "tag";

/** What a top-level declaration of the preprocessed TU declares. */
export type PpDeclKind =
  | "function" /* a function definition */
  | "prototype" /* a function declaration without body */
  | "variable" /* an object definition (or tentative definition) */
  | "extern-variable" /* an `extern` object declaration */
  | "typedef"
  | "tag" /* a struct/union/enum with a body */
  | "enumerator";

/** One name declared at file scope in the preprocessed TU. */
export interface PpDecl {
  name: string;
  namespace: NameSpace;
  kind: PpDeclKind;
  /** Storage class written on the declaration. */
  storage: "static" | "extern" | "none";
  /** True for `inline` functions. */
  inline: boolean;
  /** Original file (as the line marker names it) and line where the declaration starts. */
  file: string;
  line: number;
  /** Offsets of the whole top-level declaration in the .i text. */
  start: number;
  end: number;
  /** Offsets of the declared identifier in the .i text. */
  nameStart: number;
  /**
   * The top-level syntax node (for function bodies and declarator surgery),
   * offsets and rows those of the .i text. Parsed on first access: reading it
   * costs a tree-sitter parse of this declaration.
   */
  readonly node: SyntaxNode;
}

/**
 * The TU's file-scope declarations by name. Built lazily: a lookup reads only
 * the top-level pieces of the .i that may declare the name.
 */
export interface DeclIndex {
  /** Declarations of `name` (both namespaces), in TU order; undefined when there is none. */
  get(name: string): PpDecl[] | undefined;
  /**
   * Declarations made in the files `accept` says yes to (file names as line
   * markers spell them), grouped by name; names in the order of their first
   * declaration anywhere in the TU, each list in TU order. Reads every piece of
   * those files (cheap: without tree-sitter), and nothing else.
   */
  inFiles(accept: (file: string) => boolean): Map<string, PpDecl[]>;
  /** Every declaration of the TU by name, in TU order (reads the whole TU: for tests). */
  all(): Map<string, PpDecl[]>;
}

/** The TU's live macro definitions by name. */
export interface MacroIndex {
  /** Definitions of `name`, in TU order; undefined when there is none. */
  get(name: string): PpMacro[] | undefined;
  /** Every definition by name, in TU order (tests; header macros a pasted name may build). */
  all(): Map<string, PpMacro[]>;
}

/** A macro definition that was live in the TU (from `gcc -E -dD`). */
export interface PpMacro {
  name: string;
  file: string;
  line: number;
  /** The `#define` line as the preprocessor printed it (continuations joined). */
  definition: string;
}

/** The preprocessed TU, indexed. */
export interface PreprocessedTu {
  /** The .i text as the preprocessor wrote it. */
  text: string;
  /** Names declared at file scope, each in TU order. */
  decls: DeclIndex;
  /** Live macro definitions by name, in TU order. */
  macros: MacroIndex;
  /** The original file (as line markers name it) and line of a .i offset. */
  origin(offset: number): { file: string; line: number };
  /** Every file the TU read, as line markers name them. */
  files: Set<string>;
  /** `file:line` (file as line markers spell it) of every #include the preprocessor processed (gcc -dI). */
  liveIncludes: Set<string>;
  /** For each processed #include (`file:line`), every file it brought in, nested ones included. */
  includeTree: Map<string, Set<string>>;
  /** Count of top-level nodes tree-sitter cannot parse (after normalisation); parses the whole TU (for tests). */
  countErrors(): number;
  /**
   * How much of the TU was read so far: top-level chunks, chunks whose
   * declarations were read without tree-sitter, chunks tree-sitter parsed
   * and the wall time those parses took (ms).
   */
  readonly stats: { chunks: number; skimmed: number; parsed: number; parseMs: number };
}
