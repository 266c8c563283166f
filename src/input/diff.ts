import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { FileChange, FilePatch, Hunk, PatchSet } from "../model/input.js";
import { describeProblem, displayPath, headerName, stripFirstComponent, type RawName } from "./patch-names.js";

/**
 * Reads a unified diff (git diff, git format-patch, diff -u) from its bytes:
 * file names are bytes (a latin1 name is found on disk as it is), every hunk
 * is counted against its `@@` header (a truncated hunk is an error, not a
 * shorter change), and every name is checked to stay inside the tree before
 * anyone reads or writes it. Prose around the diffs (a commit message, a
 * diffstat, a mail signature) is skipped, as GNU patch skips it.
 * Returns undefined after reporting KLP-E001/E003 (located at the patch's line).
 *
 * parse-diff, used before, gives no line numbers, accepts truncated hunks,
 * ignores git's rename headers and reads names as UTF-8 text.
 */
export function readPatch(file: string, input: string | Buffer, sink: DiagnosticSink): PatchSet | undefined {
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  const lines = splitLines(bytes);
  const at = (i: number) => ({ file, line: i + 1, column: 0 });
  const sections: Section[] = [];
  let cur: Section | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.includes(0)) return fail(sink, at(i), "KLP-E001", "the patch has a NUL byte in this line: it is not a text diff", "pass the diff as `git diff` or `diff -u` writes it");
    const text = line.toString("latin1");
    if (text.startsWith("diff --git ")) {
      cur = { line: i, git: gitNames(line.subarray(11)), hunks: [] };
      sections.push(cur);
      continue;
    }
    if (cur?.git && cur.hunks.length === 0 && !cur.old && gitHeader(cur, text, line)) continue;
    if (text.startsWith("--- ") && lines[i + 1]?.toString("latin1").startsWith("+++ ")) {
      if (!cur?.git || cur.old || cur.hunks.length) sections.push((cur = { line: i, hunks: [] }));
      cur.old = headerName(line.subarray(4));
      cur.new = headerName(lines[i + 1]!.subarray(4));
      i++;
      continue;
    }
    const h = HUNK.exec(text);
    if (!h) continue; // prose
    if (!cur || (!cur.old && !cur.git)) return fail(sink, at(i), "KLP-E001", "a hunk (`@@`) before any file header (`---`/`+++`)", "pass the whole diff, headers included");
    const hunk = readHunk(lines, i, h, file, sink);
    if (!hunk) return undefined;
    cur.hunks.push(hunk);
    i += hunk.patchLines - 1;
  }
  const files: FilePatch[] = [];
  for (const s of sections) {
    const f = toFilePatch(s, file, sink);
    if (f === "error") return undefined;
    if (f) files.push(f);
  }
  if (files.length === 0) {
    const empty = bytes.toString("latin1").trim() === "";
    return fail(sink, { file, line: 0, column: 0 }, "KLP-E001", empty ? "the patch is empty" : "the patch names no file change: no `---`/`+++` file header followed by a `@@` hunk", "pass a file made by `git diff`, `git format-patch` or `diff -u`");
  }
  // A series of mails (git format-patch of several commits): every subject, in order.
  const subject = [...bytes.toString("utf8").matchAll(/^Subject: (?:\[[^\]]*\] )?(.*)$/gm)].map((m) => m[1]).join("; ");
  return { file, files, ...(subject ? { subject } : {}) };
}

/** What the patch says about one file, before its names are checked. */
interface Section {
  /** Index of its first line (`diff --git` or `---`). */
  line: number;
  /** The names of a `diff --git a/X b/Y` line; undefined for a plain diff. */
  git?: { old: RawName; new: RawName };
  old?: RawName;
  new?: RawName;
  created?: boolean;
  deleted?: boolean;
  /** `rename from` / `copy from` with its `to`. */
  moved?: { kind: "rename" | "copy"; from?: RawName; to?: RawName };
  binary?: boolean;
  hunks: Hunk[];
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/** git's extended header lines (between `diff --git` and `---`); false for any other line. */
function gitHeader(s: Section, text: string, line: Buffer): boolean {
  const moved = /^(rename|copy) (from|to) /.exec(text);
  if (moved) {
    s.moved ??= { kind: moved[1] as "rename" | "copy" };
    // These names carry no a/ b/ prefix: give them one, so that -p1 applies to every name alike.
    s.moved[moved[2] as "from" | "to"] = prefixed(headerName(line.subarray(moved[0].length)));
    return true;
  }
  if (text.startsWith("new file mode ")) s.created = true;
  else if (text.startsWith("deleted file mode ")) s.deleted = true;
  else if (text === "GIT binary patch" || /^Binary files .* differ$/.test(text)) s.binary = true;
  else return /^(?:index |old mode |new mode |similarity index |dissimilarity index )/.test(text);
  return true;
}

/** The body of a hunk, exactly as many lines as its header counts; undefined after reporting a short one. */
function readHunk(lines: Buffer[], i: number, h: RegExpExecArray, file: string, sink: DiagnosticSink): Hunk | undefined {
  const [oldStart, oldLines, newStart, newLines] = [Number(h[1]), h[2] === undefined ? 1 : Number(h[2]), Number(h[3]), h[4] === undefined ? 1 : Number(h[4])];
  const hunk: Hunk = { newStart, newLines, added: [], deleted: [], location: { file, line: i + 1, column: 0 }, header: lines[i]!.toString("utf8"), patchLines: 1, cosmetic: true };
  let [oldLeft, newLeft, oldLine, newLine] = [oldLines, newLines, oldStart, newStart];
  let j = i + 1;
  for (; oldLeft > 0 || newLeft > 0; j++) {
    const l = lines[j];
    const c = l?.[0];
    if (l?.includes(0)) return fail(sink, { file, line: j + 1, column: 0 }, "KLP-E001", "the patch has a NUL byte in this line: it is not a text diff", "pass the diff as `git diff` or `diff -u` writes it");
    const text = l && l.length > 1 ? l.subarray(1).toString("utf8") : "";
    if (l && (l.length === 0 || c === 0x20) && oldLeft > 0 && newLeft > 0) {
      [oldLeft, newLeft, oldLine, newLine] = [oldLeft - 1, newLeft - 1, oldLine + 1, newLine + 1];
    } else if (c === 0x2d /* - */ && oldLeft > 0) {
      hunk.deleted.push({ line: oldLine++, text });
      oldLeft--;
    } else if (c === 0x2b /* + */ && newLeft > 0) {
      hunk.added.push({ line: newLine++, text });
      newLeft--;
    } else if (c === 0x5c /* \ */ && j > i + 1) {
      continue; // "\ No newline at end of file"
    } else {
      const where = l === undefined ? `the patch ends after line ${j}` : `line ${j + 1} is not a hunk line`;
      return fail(sink, { file, line: i + 1, column: 0 }, "KLP-E001", `truncated hunk ${hunk.header.trim()}: ${where}, with ${oldLeft} old and ${newLeft} new line(s) of it still to come`, "pass the whole patch: it was cut or edited by hand (recount the @@ header if so)");
    }
    if (c === 0x2d || c === 0x2b) hunk.cosmetic &&= isCosmeticLine(text);
  }
  if (lines[j]?.[0] === 0x5c) j++;
  hunk.patchLines = j - i;
  return hunk;
}

/** The checked FilePatch of a section; undefined for one that changes no content (a mode change). */
function toFilePatch(s: Section, file: string, sink: DiagnosticSink): FilePatch | undefined | "error" {
  const location = { file, line: s.line + 1, column: 0 };
  const oldName = s.moved?.from ?? s.old ?? s.git?.old;
  const newName = s.moved?.to ?? s.new ?? s.git?.new;
  const paths: Array<{ path: string; latin1: boolean } | undefined> = [];
  for (const name of [oldName, newName]) {
    if (name?.kind !== "name") {
      paths.push(undefined);
      continue;
    }
    const stripped = stripFirstComponent(name.bytes);
    if ("problem" in stripped) {
      fail(sink, location, "KLP-E003", `the patch names ${JSON.stringify(displayPath(name.bytes).path)}, which ${describeProblem(stripped.problem)}`, "a patch names files inside the tree as a/PATH and b/PATH; klp-ccp reads and writes nothing outside --src and its scratch copy");
      return "error";
    }
    paths.push(displayPath(stripped.path));
  }
  const [from, to] = paths;
  const target = to ?? from;
  if (!target) {
    if (s.hunks.length === 0 && !s.binary) return undefined;
    fail(sink, location, "KLP-E001", "this file's diff names no file (both sides are /dev/null or missing)", "pass a file made by `git diff`, `git format-patch` or `diff -u`");
    return "error";
  }
  const change = fileChange(s, from?.path, to?.path);
  if (change.kind === "modify" && s.hunks.length === 0) {
    if (s.git && !s.old) return undefined; // a mode change: nothing runs differently
    fail(sink, location, "KLP-E001", `the file header of ${target.path} has no hunk (\`@@\`) after it: the patch is truncated`, "pass the whole patch");
    return "error";
  }
  return { path: target.path, ...(target.latin1 ? { latin1Name: true as const } : {}), change, location, hunks: s.hunks };
}

function fileChange(s: Section, from: string | undefined, to: string | undefined): FileChange {
  if (s.binary) return { kind: "binary" };
  if (s.created || from === undefined) return { kind: "create" };
  if (s.deleted || to === undefined) return { kind: "delete" };
  if (s.moved) return { kind: s.moved.kind, from };
  // A plain diff between two different names: GNU patch would guess one; a rename for us.
  return from === to ? { kind: "modify" } : { kind: "rename", from };
}

/** `a/X b/Y` of a `diff --git` line: X and Y are the same name unless the file moved (then rename lines follow). */
function gitNames(rest: Buffer): { old: RawName; new: RawName } {
  const text = rest.toString("latin1");
  if (text.startsWith('"')) {
    const end = text.indexOf('" ', 1);
    if (end > 0) return { old: headerName(rest.subarray(0, end + 1)), new: headerName(rest.subarray(end + 2)) };
  }
  // Unquoted: "a/N b/N" splits in the middle when both sides name the same path; else at the last " b/".
  const middle = (text.length - 1) / 2;
  if (text[middle] === " " && text.slice(middle + 1).replace(/^[^/]*\//, "") === text.slice(0, middle).replace(/^[^/]*\//, "")) return { old: headerName(rest.subarray(0, middle)), new: headerName(rest.subarray(middle + 1)) };
  const k = text.lastIndexOf(" b/");
  return k > 0 ? { old: headerName(rest.subarray(0, k)), new: headerName(rest.subarray(k + 1)) } : { old: headerName(rest), new: headerName(rest) };
}

function prefixed(name: RawName): RawName {
  return name.kind === "name" ? { kind: "name", bytes: Buffer.concat([Buffer.from("a/"), name.bytes]) } : name;
}

/** Lines without their "\n"; a final newline ends the last line rather than starting an empty one. */
export function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let nl = bytes.indexOf(0x0a); nl >= 0; nl = bytes.indexOf(0x0a, start)) {
    lines.push(bytes.subarray(start, nl));
    start = nl + 1;
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

function fail(sink: DiagnosticSink, location: { file: string; line: number; column: number }, code: "KLP-E001" | "KLP-E003", message: string, hint: string): undefined {
  sink.report({ code, severity: "error", message, location, hint });
  return undefined;
}

/** A blank line or one that is only (part of) a comment. */
export function isCosmeticLine(line: string): boolean {
  const t = line.trim();
  return t === "" || t.startsWith("//") || t.startsWith("/*") || t.startsWith("*/") || /^\*(\s|$)/.test(t) && !/[;{}=]/.test(t);
}
