import { lineCode } from "../parse/c-lexer.js";

/** The first lines of a .c file, up to its last top-level #include, that hold nothing but directives. */
export interface HeaderPrefix {
  /** How many lines (1 … lines) it spans. */
  lines: number;
  /** Those lines, each with its newline. */
  text: string;
}

/**
 * The .c file's leading block of preprocessor directives, comments and blank
 * lines, cut after its last #include outside any #if: what a precompiled
 * header of the TU can hold (kbuild/header-cache.ts). Cutting after an
 * #include means the preprocessor always leaves a header there, so the
 * macros it knows are exactly those of the block. Undefined when the file
 * starts with code or has no such #include.
 */
export function headerPrefix(source: string): HeaderPrefix | undefined {
  const lines = source.split("\n");
  let inComment = false;
  let depth = 0;
  let last = 0;
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n]!;
    const first = n;
    // A directive continued with backslash-newline is one logical line.
    while (line.endsWith("\\") && n + 1 < lines.length) line = line.slice(0, -1) + lines[++n]!;
    const stripped = lineCode(line, inComment);
    inComment = stripped.open;
    const code = stripped.code.trim();
    if (code === "") continue;
    const d = /^#\s*(\w+)/.exec(code);
    if (!d) break;
    const name = d[1]!;
    if (name === "if" || name === "ifdef" || name === "ifndef") depth++;
    else if (name === "endif") depth--;
    else if (name === "include" && depth === 0 && first === n) last = n + 1;
    if (depth < 0) return undefined;
  }
  if (last === 0) return undefined;
  return { lines: last, text: lines.slice(0, last).map((l) => `${l}\n`).join("") };
}

/**
 * True when the header is wrapped in an include guard the way gcc's
 * multiple-include optimisation recognises (`#ifndef G` or `#if !defined G`
 * first, its `#endif` last, only comments around): gcc skips such a file
 * when included again once G is defined, without entering it.
 */
export function hasIncludeGuard(text: string): boolean {
  const lines = text.split("\n");
  let inComment = false;
  let depth = 0;
  let first = true;
  let closedAt = -1;
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n]!;
    while (line.endsWith("\\") && n + 1 < lines.length) line = line.slice(0, -1) + lines[++n]!;
    const stripped = lineCode(line, inComment);
    inComment = stripped.open;
    const code = stripped.code.trim();
    if (code === "") continue;
    if (closedAt >= 0) return false; // something after the guard's #endif
    if (first) {
      if (!/^#\s*(?:ifndef\s+\w+|if\s+!\s*defined\s*(?:\(\s*\w+\s*\)|\s\w+))\s*$/.test(code)) return false;
      first = false;
    }
    const d = /^#\s*(\w+)/.exec(code)?.[1];
    if (d === "if" || d === "ifdef" || d === "ifndef") depth++;
    else if (d === "endif" && --depth === 0) closedAt = n;
    else if (depth === 0) return false; // the first #if closed already: not one guard around everything
  }
  return closedAt >= 0;
}
