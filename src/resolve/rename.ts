import { CLexer, TK_IDENT } from "../parse/c-lexer.js";
/** A replacement of one identifier occurrence. */
export interface Rename {
  start: number;
  end: number;
  text: string;
}

/** Applies renames (offsets into `text`) from last to first so offsets stay valid. */
export function applyRenames(text: string, renames: Rename[], base = 0): string {
  let out = text;
  const sorted = [...renames].sort((a, b) => b.start - a.start);
  let last = Infinity;
  for (const r of sorted) {
    if (r.end > last) continue; // overlapping: keep the later one
    out = out.slice(0, r.start - base) + r.text + out.slice(r.end - base);
    last = r.start;
  }
  return out;
}

/**
 * Identifier tokens of C text outside comments and string literals that are
 * not member names (after `.` or `->`): for macro bodies, which have no tree.
 * `members`: member names too, for the macros a text may name (xdr4.h's
 * `#define lk_new_owner v.new.owner`, used as `lock->lk_new_owner`).
 */
export function identifierTokens(text: string, { members = false } = {}): Array<{ name: string; start: number; end: number }> {
  const out: Array<{ name: string; start: number; end: number }> = [];
  const lx = new CLexer(text);
  while (lx.next()) {
    if (lx.kind !== TK_IDENT) continue;
    const before = text.slice(Math.max(0, lx.start - 3), lx.start).replace(/\s+$/, "");
    if (!members && (before.endsWith(".") || before.endsWith("->"))) continue;
    out.push({ name: lx.text(), start: lx.start, end: lx.end });
  }
  return out;
}
