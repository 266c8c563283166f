import type { OutputPiece } from "../model/plan.js";

/**
 * The original file and line a line of the generated module came from: the
 * piece of the plan (preamble, includes, body, in the order the template
 * writes them) whose text holds that line, and the same line within the
 * piece. Undefined for klp-ccp's own text (boilerplate, generated
 * declarations) and lines no piece holds.
 */
export function originOfLine(text: string, pieces: OutputPiece[], line: number): { file: string; line: number } | undefined {
  const lineStarts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  const lineAt = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  let from = 0;
  for (const p of pieces) {
    const at = text.indexOf(p.text, from);
    if (at < 0) continue;
    from = at + p.text.length;
    const first = lineAt(at);
    const last = lineAt(from);
    if (line < first || line > last) continue;
    if (p.origin === "klp-ccp" || p.line === 0) return undefined;
    // keepFuncName wraps a renamed copy in `#define __func__ ...` lines the original has not.
    const added = /^(?:#define __(?:func|FUNCTION)__ .*\n)*/.exec(p.text)![0].split("\n").length - 1;
    return { file: p.origin, line: Math.max(p.line, p.line + line - first - added) };
  }
  return undefined;
}
