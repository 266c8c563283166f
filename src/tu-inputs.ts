import { StageFailed, type DiagnosticSink } from "./diagnostics/diagnostic.js";
import type { CompileCommand, ExportTable, SymbolTable } from "./model/input.js";
import type { OutlineStore, PreprocessedTu } from "./model/syntax.js";
import type { StageTimer } from "./timings.js";

/** What every TU analysis needs, whatever says which functions to take. */
export interface TuInputs {
  src: string;
  build: string;
  /** The running kernel's symbols; absent in --functions mode without --symbols. */
  symbols?: SymbolTable;
  exports: ExportTable;
  ipaDir: string;
  mode: "kallsyms" | "klp-reloc";
  name: string;
  sink: DiagnosticSink;
  /** A ready .i of the (patched) TU (skips the compiler). */
  preprocessed?: string;
  /** Where the running kernel's modules tree (/lib/modules/RELEASE) may be, first match wins: the symbols of a target module the symbol table lacks. */
  modulesDirs?: string[];
  /** An explicit compile command (--functions mode) instead of the build tree's .cmd. */
  command?: CompileCommand;
  /** Keep the functions' own names (closure-only output) instead of klpp_ renames. */
  keepNames?: boolean;
  /** Receives each stage's wall time (`--timings`). */
  timer?: StageTimer;
  /** Where outlines of source files parsed before are kept (--cache-dir). */
  outlines?: OutlineStore;
  /** Told before each step that may take more than a second (the CLI prints it). */
  progress?: (message: string) => void;
  /**
   * A header fix: the patched headers (relative to src → text), found by the
   * compiler first through -I options into `dir`, a tree holding only them
   * (kbuild/header-overlay.ts). Their changed inlines are copied as klpr_X.
   */
  overlay?: { dir: string; headers: Map<string, string> };
}

/** What preprocessing gives: the .i text (or, when it was read as it came, the TU already indexed) and the klp object. */
export interface Preprocessed {
  text: string;
  tu?: PreprocessedTu;
  object: string;
  flags?: string[];
  cwd?: string;
}

export function preprocessFailed(o: TuInputs, relPath: string, mainPath: string, stderr: string): never {
  const first = stderr.split("\n").find((l) => /error/.test(l)) ?? stderr.trim().split("\n")[0] ?? "";
  o.sink.report({ code: "KLP-E006", severity: "error", message: `preprocessing ${relPath} failed: ${first.replace(mainPath, relPath)}`, location: { file: relPath, line: 0, column: 0 }, hint: o.command ? "check the compile command" : "check that --build was configured for this --src" });
  throw new StageFailed("preprocess");
}
