/** Text helpers for copying a function out of a macro's body (tracepoints.ts). */

/** Index of the bracket closing the one at `open` (`(`, `{` or `[`), skipping strings and comments; undefined when unbalanced. */
export function balancedEnd(text: string, open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'") {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === "\\") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const close = text.indexOf("*/", i + 2);
      if (close < 0) return undefined;
      i = close + 1;
    } else if (c === "(" || c === "{" || c === "[") depth++;
    else if (c === ")" || c === "}" || c === "]") {
      if (--depth === 0) return i;
    }
  }
  return undefined;
}

/** The parts of `text` between top-level commas. */
export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "(" || c === "{" || c === "[") depth++;
    else if (c === ")" || c === "}" || c === "]") depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(from, i).trim());
      from = i + 1;
    }
  }
  const last = text.slice(from).trim();
  if (last || parts.length) parts.push(last);
  return parts;
}

/** A function-like `#define NAME(params) body`: its parameter names and body; undefined for anything else. */
export function parseDefinition(definition: string): { params: string[]; body: string } | undefined {
  const m = /^\s*#\s*define\s+\w+\(([^)]*)\)[ \t]*/.exec(definition);
  if (!m) return undefined;
  return { params: m[1]!.split(",").map((p) => p.trim()).filter(Boolean), body: definition.slice(m[0].length) };
}

/**
 * The `static inline ... NAME(...) { ... }` in a macro body whose name
 * template (`trace_##name##_enabled`) `wanted` accepts: its text, from
 * `static` to the closing brace.
 */
export function macroFunction(body: string, wanted: (template: string) => boolean): { start: number; end: number; text: string } | undefined {
  for (const m of body.matchAll(/\bstatic\s+inline\b/g)) {
    const open = body.indexOf("(", m.index);
    if (open < 0) continue;
    const name = /((?:[A-Za-z_]\w*\s*##\s*)*[A-Za-z_]\w*)\s*$/.exec(body.slice(m.index + m[0].length, open));
    if (!name || !wanted(name[1]!)) continue;
    const close = balancedEnd(body, open);
    const brace = close === undefined ? -1 : body.indexOf("{", close);
    const end = brace < 0 ? undefined : balancedEnd(body, brace);
    if (end === undefined) continue;
    return { start: m.index, end: end + 1, text: body.slice(m.index, end + 1) };
  }
  return undefined;
}
