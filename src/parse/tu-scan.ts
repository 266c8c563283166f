import type { LineMarker } from "./line-markers.js";
import type { NameIndex, NameIndexState } from "./name-index.js";

/** The `#define` lines of `gcc -E -dD` output: define i is text.slice(offsets[i], ends[i]). */
export interface Defines {
  /** Offset of the `#`. */
  offsets: number[];
  /** Offset of the line end. */
  ends: number[];
  /** The name is text.slice(offsets[i] + 8, nameEnds[i]). */
  nameEnds: number[];
  /** 0-based .i line. */
  lines: number[];
  /** hash of the name → define numbers. */
  byName: NameIndex;
}

/** An `#include` line of `gcc -dI` output (one per include the preprocessor processed). */
export interface IncludeLine {
  offset: number;
  /** 0-based .i line. */
  iLine: number;
}

/**
 * The top-level pieces of a .i text, found by one linear scan: chunk i spans
 * [starts[i], ends[i]) from its first character to its `;` or the `}` of its
 * function body. Each is one top-level declaration, definition or statement.
 */
export interface Chunks {
  starts: number[];
  ends: number[];
  /** Offset of the function body's `{`, or -1 when the chunk is no function definition. */
  bodies: number[];
  /** 0-based .i line of the chunk's first character. */
  lines: number[];
  /** True when a line marker inside the chunk names another file than the one it starts in. */
  mixed: boolean[];
}

/** Everything the scan of a .i text finds. */
export interface TuScan {
  text: string;
  /** Offset where each .i line starts. */
  lineStarts: number[];
  markers: LineMarker[];
  defines: Defines;
  includes: IncludeLine[];
  chunks: Chunks;
  /**
   * hash of a name → the chunks that may declare it, in TU order: a superset of
   * the truth (declarator-like identifiers outside bodies and initialisers, tags,
   * enumerators), checked by whoever looks a name up.
   */
  candidates: NameIndex;
}

/**
 * The scan of a .i text's first `length` characters, taken between two
 * top-level chunks: PreprocessedScanner.resume() goes on from there with the
 * rest of the text (a TU's headers are scanned once and kept; see
 * kbuild/header-cache.ts). Plain data: scan-snapshot.ts keeps it on disk.
 */
export interface ScanSnapshot {
  length: number;
  lineStarts: number[];
  markers: LineMarker[];
  defines: Omit<Defines, "byName"> & { byName: NameIndexState };
  includes: IncludeLine[];
  chunks: Chunks;
  candidates: NameIndexState;
  /** The file the last line marker named. */
  curFile: string;
}
