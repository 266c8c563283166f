import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { LineMarker } from "../parse/line-markers.js";
import type { ScanSnapshot } from "../parse/tu-scan.js";
import { hasIncludeGuard } from "./header-prefix.js";

/**
 * Joining a run over kept headers (header-cache.ts) to what a full run's .i
 * would say: where the headers' part ends, and the body run's output made to
 * read as the same part of a full run does.
 */

/**
 * Passes on the body run's output from the line after gcc's
 * `#pragma GCC pch_preprocess` (what comes before it is gcc's built-in and
 * command-line macros, which the kept text has already), made to read as
 * the same part of a full run does:
 * - The next line is the marker `#line` made. Where the kept text ends inside
 *   a header, a full run has that marker with flag 2 (back from an #include)
 *   and gets the flag here; where it ends in the main file (the last #include
 *   was skipped by its guard), a full run goes on without it, and so does this.
 * - A PCH does not carry gcc's list of guarded headers it has read, so a
 *   header the kept part read is entered again, empty, where a full run
 *   skips it: such an enter/leave pair becomes a plain marker, lest the
 *   include tree credit the #include with that header.
 * `used()` is false when the pragma never came: gcc did not take the PCH.
 */
export function afterPchPragma(o: { returning: boolean; skips: (file: string) => boolean }, onOutput: (piece: string) => void): { push(piece: string): void; end(): void; used(): boolean } {
  let state: "prelude" | "marker" | "body" = "prelude";
  let head = "";
  const emit = (text: string): void => {
    if (text) onOutput(text.includes('" 1\n# ') ? text.replace(EMPTY_ENTRY, (m, file: string, line: string, back: string) => (o.skips(unescape(file)) ? `# ${line} "${back}"\n` : m)) : text);
  };
  const push = (piece: string): void => {
    head += piece;
    if (state === "prelude") {
      const at = head.indexOf("\n#pragma GCC pch_preprocess ");
      const end = at < 0 ? -1 : head.indexOf("\n", at + 1);
      if (end < 0) return;
      state = "marker";
      head = head.slice(end + 1);
    }
    if (state === "marker") {
      const nl = head.indexOf("\n");
      if (nl < 0) return;
      state = "body";
      const line = head.slice(0, nl);
      const marker = line.startsWith("# ");
      head = marker && !o.returning ? head.slice(nl + 1) : `${marker ? `${line} 2` : line}${head.slice(nl)}`;
    }
    // Whole lines only, and an enter marker waits for the line after it.
    let cut = head.lastIndexOf("\n") + 1;
    const lastLine = head.lastIndexOf("\n", cut - 2) + 1;
    if (cut > 0 && /^# 1 ".*" 1\n$/.test(head.slice(lastLine, cut))) cut = lastLine;
    emit(head.slice(0, cut));
    head = head.slice(cut);
  };
  return {
    push,
    end: () => {
      if (state === "body") emit(head);
      head = "";
    },
    used: () => state !== "prelude",
  };
}

const EMPTY_ENTRY = /^# 1 "((?:[^"\\]|\\.)*)" 1\n# (\d+) "((?:[^"\\]|\\.)*)" 2\n/gm;
const unescape = (s: string) => s.replace(/\\(.)/g, "$1");

/** A file gcc skips when included again after the kept part read it: it has an include guard (cached per file). */
export function skippedOnceRead(snapshot: ScanSnapshot, cwd: string): (file: string) => boolean {
  const readFiles = new Set(enteredFiles(snapshot));
  const known = new Map<string, boolean>();
  return (file) => {
    if (!readFiles.has(file)) return false;
    let guarded = known.get(file);
    if (guarded === undefined) {
      try {
        guarded = hasIncludeGuard(readFileSync(resolve(cwd, file), "utf8"));
      } catch {
        guarded = false;
      }
      known.set(file, guarded);
    }
    return guarded;
  };
}

/**
 * Where the headers' part of a full run's .i ends: the start of the first
 * line that comes from the main file's lines after the block (line markers
 * just before it included). -1 when there is none.
 */
export function prefixEnd(markers: LineMarker[], lineStarts: number[], mainPath: string, prefixLines: number): number {
  for (let k = 0; k < markers.length; k++) {
    const m = markers[k]!;
    if (m.file !== mainPath) continue;
    const nextMarker = k + 1 < markers.length ? markers[k + 1]!.iLine : lineStarts.length;
    // .i line m.iLine + 1 + j holds line m.line + j of the file.
    const first = m.iLine + 1 + Math.max(0, prefixLines + 1 - m.line);
    if (first >= nextMarker) continue;
    let split = first;
    // The main file's markers announcing it belong to it (not a header's, even when adjacent).
    for (let b = k; b >= 0 && markers[b]!.iLine === split - 1 && markers[b]!.file === mainPath; b--) split--;
    return split < lineStarts.length ? lineStarts[split]! : -1;
  }
  return -1;
}

/** The files a full run's headers part read, from its line markers (to stamp an entry with). */
export function filesRead(snapshot: ScanSnapshot, cwd: string): string[] {
  return [...new Set(enteredFiles(snapshot).map((f) => resolve(cwd, f)))];
}

/** The files the kept part entered (markers with flag 1), as the markers name them; not <built-in> or <command-line>. */
function enteredFiles(snapshot: ScanSnapshot): string[] {
  return snapshot.markers.filter((m) => m.flags.includes(1) && !m.file.startsWith("<")).map((m) => m.file);
}
