import { skipParens } from "./blank.js";
import { blankComments } from "./c-lexer.js";

/**
 * Kernel annotation macros that tree-sitter cannot know are attributes. In raw
 * kernel C they cause most parse errors (FACTS.md: 13.8% of functions → 4.6%
 * once blanked). Blanking keeps every offset, and the text we copy is always
 * taken from the original, so nothing of the source is lost.
 */
const WORDS = [
  "__init", "__exit", "__ref", "__refdata", "__initdata", "__initconst", "__exitdata",
  "__read_mostly", "__ro_after_init", "__cold", "__hot", "__weak", "__user", "__kernel",
  "__iomem", "__rcu", "__percpu", "__force", "__nocast", "__bitwise", "__must_check",
  "__maybe_unused", "__always_unused", "__used", "__visible", "__noreturn", "notrace",
  "noinline", "noinstr", "asmlinkage", "__packed", "__randomize_layout", "__latent_entropy",
  "__cacheline_aligned", "__cacheline_aligned_in_smp", "____cacheline_aligned",
  "____cacheline_aligned_in_smp", "__page_aligned_bss", "__page_aligned_data",
  "__always_inline", "__flatten", "__nocfi", "__noclone", "__meminit", "__meminitdata",
  "__cpuinit", "__net_init", "__net_exit", "__net_initdata", "__sched", "__lockfunc",
  "__kprobes", "__irq_entry", "__softirq_entry", "__private", "__cpuidle", "__init_memblock",
  "__initdata_memblock", "__ro_after_init_data", "__safe", "__nostackprotector",
  "__no_sanitize_address", "__no_kcsan", "__designated_init", "__counted_by",
];
const CALL_LIKE = [
  "__attribute__", "__attribute", "__printf", "__scanf", "__aligned", "__section",
  "__acquires", "__releases", "__must_hold", "__alloc_size", "__malloc",
  "__assume_aligned", "__diagnose_as", "__nonstring", "__compiletime_error",
];

const wordRe = new RegExp(`\\b(?:${WORDS.join("|")})\\b`, "g");
const callRe = new RegExp(`\\b(?:${CALL_LIKE.join("|")})(?=\\s*\\()`, "g");

/** `DEFINE_PER_CPU(type, name)` and its kin: declarations spelled as a macro call. */
const perCpuRe = /\b(?:DEFINE|DECLARE)_PER_CPU\w*(?=\s*\()/g;

/**
 * `static DEFINE_PER_CPU(struct s, name) = {...}` is no C tree-sitter can read,
 * and with #if lines in its initializer the error swallows hundreds of lines
 * (drivers/char/random.c). Spelled `static struct s name = {...}` instead,
 * same length: the macro name and its parentheses become blanks and the last
 * comma a space.
 */
function unwrapPerCpu(text: string): string {
  let out = text;
  for (const m of text.matchAll(perCpuRe)) {
    const end = skipParens(text, m.index + m[0].length);
    if (end < 0) continue;
    const open = text.indexOf("(", m.index + m[0].length);
    const comma = text.lastIndexOf(",", end - 1);
    if (comma < open || text.slice(comma + 1, end - 1).includes("(")) continue;
    out = out.slice(0, m.index) + " ".repeat(open + 1 - m.index) + out.slice(open + 1, comma) + " " + out.slice(comma + 1, end - 1) + " " + out.slice(end);
  }
  return out;
}

/** Returns `text` with kernel annotations replaced by spaces (same length, same lines). */
export function normalizeSource(text: string): string {
  return terminatedMacroCalls(oneArmedHeaders(withoutEnumDirectives(withoutMemberMacros(withoutCplusplusArms(unwrapPerCpu(blankAnnotations(withoutDirectiveComments(text))))))));
}

/**
 * An enum body may hold `#define`/`#include`/`#undef` lines (nouveau's subdev.h builds
 * `enum nvkm_subdev_type` from `#include <core/layout.h>` under a local `#define`): the
 * grammar allows only #if blocks there, and its error cut the copy after the first
 * directive (KLP-E042). Such lines become blanks; the copy, taken from the original,
 * keeps them.
 */
function withoutEnumDirectives(text: string): string {
  if (!/^[ \t]*#[ \t]*(?:define|undef|include)\b/m.test(text)) return text;
  let out = text;
  for (const m of text.matchAll(/\benum(?:\s+[A-Za-z_]\w*)?\s*\{/g)) {
    const open = m.index + m[0].length;
    const close = text.indexOf("}", open);
    if (close < 0) continue;
    const body = text.slice(open, close);
    if (!body.includes("#")) continue;
    const blanked = body.replace(/^[ \t]*#[ \t]*(?:define|undef|include|pragma)\b(?:[^\n\\]|\\[^])*/gm, (d) => d.replace(/[^\n]/g, " "));
    // An enum body has no `;`: with one, the `enum {` was in a comment or a string, not code.
    if (blanked !== body && !blankComments(blanked).includes(";")) out = out.slice(0, open) + blanked + out.slice(close);
  }
  return out;
}

/**
 * A file-scope macro call with no `;` (`DEFINE_GETTER(width)` on a line of its own, which
 * expands to a definition) runs into what follows: tree-sitter reads the calls and the next
 * function as one old-style definition, and that function is lost. Such a line (at column 0,
 * its arguments on it, after a `;`, `}`, comment, directive or another such call, and not
 * before a `{`) ends in a `;` instead, same length: the name loses its last character. The
 * copy is taken from the original text.
 */
function terminatedMacroCalls(text: string): string {
  if (!/^[A-Za-z_]\w*\([^\n]*\)[ \t]*$/m.test(text)) return text;
  const lines = text.split("\n");
  let prev = "";
  let prevWasCall = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (trimmed === "") continue;
    const call = /^([A-Za-z_]\w*)(\([^()]*(?:\([^()]*\)[^()]*)*\))([ \t]*)$/.exec(line);
    const after = prevWasCall || prev === "" || /(?:[;}]|\*\/)$/.test(prev) || (/^#/.test(prev) && !prev.endsWith("\\")) || prev.startsWith("//");
    let next = i + 1;
    while (next < lines.length && lines[next]!.trim() === "") next++;
    prevWasCall = false;
    if (call && after && next < lines.length && !lines[next]!.trim().startsWith("{")) {
      lines[i] = `${call[1]!.slice(0, -1)}${call[2]!};${call[3]!}`;
      prevWasCall = true;
    }
    prev = trimmed;
  }
  return lines.join("\n");
}

/**
 * Comments inside a backslash-continued directive (on a continued line, or right before its backslash) make
 * tree-sitter end the #define early and read the rest as code (an ERROR item, the macro
 * lost: xdr4cb.h's cb_sequence_enc_sz). gcc reads them as one space: blanked here too.
 */
function withoutDirectiveComments(text: string): string {
  if (!/\\\r?\n/.test(text)) return text;
  return text.replace(/^[ \t]*#(?:[^\n\\]|\\[^])*/gm, (d) => (d.includes("/*") && /\\\r?\n/.test(d) ? d.replace(/\/\*[^]*?\*\//g, (c) => c.replace(/[^\n]/g, " ")) : d));
}

/**
 * A struct body may hold a macro that expands to members (`SUBTREE_BITS` on a line of its
 * own, no `;`): no declaration tree-sitter can read, and its error swallows what follows.
 * Such a line (a bare upper-case name after a `;`, `{` or `}`, before the next member)
 * becomes blanks; the copy keeps it, and its tokens still name the macro. With arguments it
 * stays: they may name what a copy must rename.
 */
function withoutMemberMacros(text: string): string {
  return text.replace(/([;{}][ \t]*(?:\/\/[^\n]*|\/\*[^\n]*?\*\/)?[ \t]*\n[ \t]*)([A-Z_][A-Z0-9_]*)(?=[ \t]*\n[ \t]*(?:[A-Za-z_}]|#))/g, (_, before: string, macro: string) => before + " ".repeat(macro.length));
}

/**
 * `#ifdef __cplusplus` `extern "C" {` `#endif` opens a brace that only C++ sees (a header's
 * other `#ifdef __cplusplus` closes it): to tree-sitter it swallows the header. A C compiler
 * never reads those arms, so their lines become blanks (directives stay).
 */
function withoutCplusplusArms(text: string): string {
  if (!text.includes("__cplusplus")) return text;
  return text.replace(/^([ \t]*#[ \t]*(?:ifdef[ \t]+__cplusplus|if[ \t]+defined[ \t]*\(?[ \t]*__cplusplus[ \t]*\)?)[ \t]*(?:\/\/[^\n]*|\/\*[^\n]*?\*\/)?[ \t]*\n)((?:(?![ \t]*#)[^\n]*\n)*?)(?=[ \t]*#[ \t]*(?:endif|else)\b)/gm, (_, open: string, arm: string) => open + arm.replace(/[^\n]/g, " "));
}

/**
 * A function whose header is chosen by #if (`#ifdef X` `static int f(int a)` `#else`
 * `static int f(int a, int b)` `#endif` `{ ... }`) is no definition tree-sitter can read:
 * the directives and every arm but the first become blanks, so the item is found (its
 * text, copied from the original, keeps all arms; the .i says which was live).
 */
function oneArmedHeaders(text: string): string {
  if (!/^[ \t]*#[ \t]*(?:if|ifdef|ifndef)\b/m.test(text)) return text;
  const lines = text.split("\n");
  const starts: number[] = [];
  for (let i = 0, at = 0; i < lines.length; at += lines[i]!.length + 1, i++) starts.push(at);
  const directive = (i: number) => /^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b/.exec(lines[i]!)?.[1];
  const blanks: Array<[number, number]> = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^if/.test(directive(i) ?? "")) continue;
    // The block's arms: [first line, last line] between its directives; none may nest another #if.
    const arms: Array<[number, number]> = [];
    let j = i + 1;
    let from = j;
    for (; j < lines.length; j++) {
      const d = directive(j);
      if (d === undefined) continue;
      if (/^if/.test(d)) break;
      arms.push([from, j - 1]);
      from = j + 1;
      if (d === "endif") break;
    }
    if (directive(j) !== "endif" || arms.length < 2) continue;
    const after = text.slice(starts[j]! + lines[j]!.length).trimStart();
    const first = lines.slice(arms[0]![0], arms[0]![1] + 1).join("\n").trim();
    if (!after.startsWith("{") || !/\(/.test(first) || !first.endsWith(")") || /[;{}]/.test(first)) continue;
    for (const k of [i, j, ...arms.slice(1).flatMap(([a, b]) => [a - 1, ...range(a, b)])]) blanks.push([starts[k]!, starts[k]! + lines[k]!.length]);
    i = j;
  }
  if (!blanks.length) return text;
  const chars = text.split("");
  for (const [a, b] of blanks) for (let k = a; k < b; k++) chars[k] = " ";
  return chars.join("");
}

function range(a: number, b: number): number[] {
  return Array.from({ length: Math.max(0, b - a + 1) }, (_, k) => a + k);
}

function blankAnnotations(text: string): string {
  const ranges: Array<[number, number]> = [];
  // A file may define these macros itself (`#define __printf(a, b) ...`): directive lines stay as written.
  const directives = directiveLines(text);
  const inDirective = (at: number) => directives.some(([a, b]) => at >= a && at < b);
  for (const m of text.matchAll(callRe)) {
    const end = skipParens(text, m.index + m[0].length);
    if (end > 0 && !inDirective(m.index)) ranges.push([m.index, end]);
  }
  for (const m of text.matchAll(wordRe)) if (!inDirective(m.index)) ranges.push([m.index, m.index + m[0].length]);
  // Blanked ranges may overlap (a word inside a blanked call): merge, then copy the text between them.
  ranges.sort((a, b) => a[0] - b[0]);
  let out = "";
  let pos = 0;
  for (let i = 0; i < ranges.length; ) {
    const start = ranges[i]![0];
    let end = ranges[i]![1];
    for (i++; i < ranges.length && ranges[i]![0] < end; i++) end = Math.max(end, ranges[i]![1]);
    if (start < pos) continue;
    out += text.slice(pos, start) + text.slice(start, end).replace(/[^\n]/g, " ");
    pos = end;
  }
  return out + text.slice(pos);
}

/** [start, end) of each preprocessor directive that names an annotation (continuation lines included). */
function directiveLines(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const m of text.matchAll(/^[ \t]*#[ \t]*(?:define|undef|ifdef|ifndef|if|elif)\b(?:[^\n\\]|\\[^])*/gm)) {
    if (wordRe.test(m[0]) || callRe.test(m[0])) out.push([m.index, m.index + m[0].length]);
    wordRe.lastIndex = 0;
    callRe.lastIndex = 0;
  }
  return out;
}
