import { lineCode } from "./c-lexer.js";

/**
 * Whether 1-based `line` of a C file lies outside every `#if`/`#ifdef`/
 * `#ifndef` block: code there is compiled in every configuration, so its
 * preprocessed TU must have it. Directives inside block comments are skipped
 * (the C lexer tells comments from literals);
 * a directive is a line whose first non-blank character is `#`.
 */
export function outsideConditionals(text: string, line: number): boolean {
  let depth = 0;
  let inComment = false;
  let at = 0;
  for (let n = 1; n < line && at <= text.length; n++) {
    let end = text.indexOf("\n", at);
    if (end < 0) end = text.length;
    const src = text.slice(at, end);
    if (!inComment) {
      const directive = /^\s*#\s*(if|ifdef|ifndef|endif)\b/.exec(src)?.[1];
      if (directive === "endif") depth = Math.max(0, depth - 1);
      else if (directive) depth++;
    }
    inComment = lineCode(src, inComment).open;
    at = end + 1;
  }
  return depth === 0;
}
