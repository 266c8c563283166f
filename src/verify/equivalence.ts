import type { CToken } from "../parse/c-tokens.js";

/** What the generator is documented to change in a copied function (README, "The proof on every run"). */
export interface Rewrites {
  /** The original function's name: `__func__` became this string in a renamed copy. */
  name: string;
  /** The string literal `__FILE__` gives in the livepatch (its own file name, quoted). */
  moduleFile: string;
  /** True when a string literal's content names a source file of the TU (what `__FILE__` gave the original). */
  isTuFile: (path: string) => boolean;
  /** KBUILD_MODNAME as the livepatch's compile spells it and as the original's did (quoted); header macros expand it. */
  modName?: { module: string; original: string };
}

/** Where two token sequences first part; an index at the end of a list means "ran out". */
export interface Difference {
  moduleAt: number;
  originalAt: number;
}

/**
 * The first place where a function of the livepatch, preprocessed as the
 * livepatch compiles it, is not the original function preprocessed as the
 * kernel compiled it; undefined when they are the same but for the
 * documented rewrites:
 * - `klpp_X` (replaced), `klpr_X` (header inline copied), `klpe_X` /
 *   `(*klpe_X)` (externalized, klp-reloc / kallsyms) and `klpt_X` (kallsyms: a thunk
 *   calling `(*klpe_X)`, named in a static initializer) stand for `X`;
 * - before the body, the copy may add `static` and `__attribute__((__unused__))`
 *   (replaced functions and the KLPP_SYSCALL_DEFINEn wrappers are static), and
 *   before its first token the attributes the file wrote ahead of the
 *   declaration (`noinline static int f(...)`), which the TU's index leaves out;
 * - `__func__`/`__FUNCTION__` became the original name as a string literal,
 *   and stringized code (`#x`) shows the renames and other __COUNTER__ values;
 * - `__FILE__`, `__LINE__` and `__COUNTER__` give the livepatch's file (or,
 *   under the copy's `#line`, the source-tree path where the TU has the
 *   path it was preprocessed from), the same line relative to the token
 *   (a copy without `#line` sits elsewhere), and another
 *   number in a name that only differs in its trailing digits (`__UNIQUE_ID_x12`);
 * - KBUILD_MODNAME in header macros is the livepatch's own.
 */
export function firstDifference(module: CToken[], original: CToken[], rewrites: Rewrites): Difference | undefined {
  const bodyStart = module.findIndex((t) => t.text === "{");
  const numbered = new Map<string, string>();
  let i = 0;
  let j = 0;
  while (i < module.length && j < original.length) {
    const a = module[i]!;
    const b = original[j]!;
    if (a.text === b.text) {
      i++;
      j++;
      continue;
    }
    const step = rewriteStep(module, i, b, rewrites, numbered) || lineStep(a, b, module, original);
    if (step) {
      i += step;
      j++;
      continue;
    }
    const added = i < bodyStart ? addedInHead(module, i, j === 0) : 0;
    if (added) {
      i += added;
      continue;
    }
    return { moduleAt: i, originalAt: j };
  }
  return i === module.length && j === original.length ? undefined : { moduleAt: i, originalAt: j };
}

/** How many module tokens (from `i`) stand for the original token `b` by a documented rewrite; 0 when none does. */
function rewriteStep(module: CToken[], i: number, b: CToken, r: Rewrites, numbered: Map<string, string>): number {
  const a = module[i]!;
  if (a.kind === "identifier" && b.kind === "identifier") {
    if (a.text === `klpp_${b.text}` || a.text === `klpr_${b.text}` || a.text === `klpe_${b.text}` || a.text === `klpt_${b.text}`) return 1;
    if (sameButCounter(a.text, b.text, numbered)) return 1;
    return 0;
  }
  if (b.kind === "identifier" && a.text === "(" && module[i + 1]?.text === "*" && module[i + 2]?.text === `klpe_${b.text}` && module[i + 3]?.text === ")") return 4;
  if (a.kind === "string" && b.kind === "identifier" && (b.text === "__func__" || b.text === "__FUNCTION__")) return a.text === JSON.stringify(r.name) ? 1 : 0;
  if (a.kind === "string" && b.kind === "string") {
    if (a.text === r.moduleFile && /^"[^"\\]*"$/.test(b.text) && r.isTuFile(b.text.slice(1, -1))) return 1;
    // A copy under `#line N "fs/x.c"` names the source-tree path; the TU, preprocessed from a scratch copy, its full path.
    if (/^"[^"\\]*"$/.test(a.text) && /^"[^"\\]*"$/.test(b.text) && r.isTuFile(b.text.slice(1, -1)) && b.text.endsWith(`/${a.text.slice(1)}`) && r.isTuFile(a.text.slice(1, -1))) return 1;
    if (r.modName && a.text === r.modName.module && b.text === r.modName.original) return 1;
    if (withoutCounters(withoutRenames(a.text)) === withoutCounters(b.text)) return 1;
    // __stringify(__COUNTER__) in instrumentation_begin(): a numbered asm label (`"12" ": nop"`, `"12" "b - ."`).
    const label = /^"(?:: |b)/.test(module[i + 1]?.text ?? "");
    return label && /^"\d+"$/.test(a.text) && /^"\d+"$/.test(b.text) && sameCounter(a.text, b.text, numbered) ? 1 : 0;
  }
  // ... and the same number as its asm operand ("i" (12)).
  if (a.kind === "number" && b.kind === "number" && numbered.get(`"${a.text}"`) === `"${b.text}"`) return 1;
  return 0;
}

/** __LINE__ (or __stringify(__LINE__)): each a line of its own function, at the same distance from the line the token stands on. */
function lineStep(a: CToken, b: CToken, module: CToken[], original: CToken[]): number {
  const value = (t: CToken) => (/^\d+$/.test(t.text) ? Number(t.text) : /^"\d+"$/.test(t.text) ? Number(t.text.slice(1, -1)) : undefined);
  const va = value(a);
  const vb = value(b);
  if (va === undefined || vb === undefined || a.kind !== b.kind) return 0;
  const inside = (v: number, tokens: CToken[]) => v >= tokens[0]!.line && v <= tokens[tokens.length - 1]!.line;
  return inside(va, module) && inside(vb, original) && va - a.line === vb - b.line ? 1 : 0;
}

/** Stringized code (`#x`, BUILD_BUG_ON's message) with the renames undone. */
function withoutRenames(literal: string): string {
  return literal.replace(/\(\*klpe_(\w+)\)/g, "$1").replace(/\bklp[pret]_(\w+)/g, "$1");
}

/** Stringized code with the numbers of compiler-made names (sameButCounter) left out. */
function withoutCounters(literal: string): string {
  return literal.replace(/\b(__UNIQUE_ID_\w*?|__\w*_)\d+\b/g, "$1#");
}

/**
 * `__UNIQUE_ID_x12` for `__UNIQUE_ID_x7`, `__compiletime_assert_31` for `__compiletime_assert_9`:
 * __COUNTER__ differs (not `__u32` for `__u64`); one module name always stands for the same original one.
 */
function sameButCounter(a: string, b: string, numbered: Map<string, string>): boolean {
  const ma = /^(__\w*?)\d+$/.exec(a);
  const mb = /^(__\w*?)\d+$/.exec(b);
  if (!ma || !mb || ma[1] !== mb[1] || !(ma[1]!.startsWith("__UNIQUE_ID_") || ma[1]!.endsWith("_"))) return false;
  return sameCounter(a, b, numbered);
}

/** One module value of __COUNTER__ always stands for the same original one. */
function sameCounter(a: string, b: string, numbered: Map<string, string>): boolean {
  const seen = numbered.get(a);
  if (seen !== undefined) return seen === b;
  numbered.set(a, b);
  return true;
}

/**
 * Tokens the copy adds before the body: `static`, `__attribute__((__unused__))`,
 * and (`leading`: before the original's first token) any attribute group; 0 when none starts at `i`.
 */
function addedInHead(module: CToken[], i: number, leading: boolean): number {
  const t = module[i]!.text;
  if (t === "static") return 1;
  if ((t === "__attribute__" || t === "__attribute") && leading && module[i + 1]?.text === "(") {
    let depth = 0;
    for (let k = i + 1; k < module.length; k++) {
      if (module[k]!.text === "(") depth++;
      else if (module[k]!.text === ")" && --depth === 0) return k - i + 1;
    }
  }
  if (t === "__attribute__" || t === "__attribute") {
    const words = module.slice(i + 1, i + 6).map((x) => x.text).join(" ");
    if (words === "( ( __unused__ ) )" || words === "( ( unused ) )") return 6;
  }
  return 0;
}
