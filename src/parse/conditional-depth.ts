/**
 * Whether 1-based `line` of a C file lies outside every `#if`/`#ifdef`/
 * `#ifndef` block: code there is compiled in every configuration, so its
 * preprocessed TU must have it. Directives inside block comments are skipped;
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
    inComment = commentOpenAfter(src, inComment);
    at = end + 1;
  }
  return depth === 0;
}

/** Whether a block comment is still open at the end of `line`, given whether one was at its start (string literals are not tracked: rare enough at top level). */
function commentOpenAfter(line: string, open: boolean): boolean {
  let i = 0;
  while (i < line.length) {
    if (open) {
      const close = line.indexOf("*/", i);
      if (close < 0) return true;
      open = false;
      i = close + 2;
    } else {
      const start = line.indexOf("/*", i);
      const lineComment = line.indexOf("//", i);
      if (start < 0 || (lineComment >= 0 && lineComment < start)) return false;
      open = true;
      i = start + 2;
    }
  }
  return open;
}
