import parseDiff from "parse-diff";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { FilePatch, Hunk, PatchSet } from "../model/input.js";

/**
 * Reads a unified diff (git diff, git format-patch, diff -u) with parse-diff.
 * Returns undefined and reports KLP-E001 when the text holds no file diff.
 */
export function readPatch(file: string, text: string, sink: DiagnosticSink): PatchSet | undefined {
  const parsed = parseDiff(text);
  const files: FilePatch[] = [];
  let searchFrom = 0;
  const lineOf = (offset: number) => text.slice(0, offset).split("\n").length;
  for (const f of parsed) {
    const path = stripPrefix(f.to && f.to !== "/dev/null" ? f.to : f.from ?? "");
    const hunks: Hunk[] = [];
    for (const chunk of f.chunks) {
      const at = text.indexOf(chunk.content, searchFrom);
      if (at >= 0) searchFrom = at + chunk.content.length;
      const hunk: Hunk = {
        newStart: chunk.newStart,
        newLines: chunk.newLines,
        added: [],
        deleted: [],
        location: { file, line: at >= 0 ? lineOf(at) : 0, column: 0 },
        cosmetic: true,
      };
      for (const c of chunk.changes) {
        if (c.type === "add") hunk.added.push({ line: c.ln, text: c.content.slice(1) });
        else if (c.type === "del") hunk.deleted.push({ line: c.ln, text: c.content.slice(1) });
        if (c.type !== "normal" && !isCosmeticLine(c.content.slice(1))) hunk.cosmetic = false;
      }
      hunks.push(hunk);
    }
    if (!path || hunks.length === 0) continue;
    files.push({ path, createdOrDeleted: Boolean(f.new || f.deleted), hunks });
  }
  if (files.length === 0) {
    sink.report({
      code: "KLP-E001",
      severity: "error",
      message: "no file changes found: this is not a unified diff",
      location: { file, line: 0, column: 0 },
      hint: "pass a file made by `git diff`, `git format-patch` or `diff -u`",
    });
    return undefined;
  }
  const subject = /^Subject: (?:\[[^\]]*\] )?(.*)$/m.exec(text)?.[1];
  return { file, files, ...(subject ? { subject } : {}) };
}

function stripPrefix(p: string): string {
  return p.replace(/^(?:a|b)\//, "");
}

/** A blank line or one that is only (part of) a comment. */
export function isCosmeticLine(line: string): boolean {
  const t = line.trim();
  return t === "" || t.startsWith("//") || t.startsWith("/*") || t.startsWith("*/") || /^\*(\s|$)/.test(t) && !/[;{}=]/.test(t);
}
