import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { OutputPiece } from "../model/plan.js";
import { homeOf, type TuContext } from "../model/tu.js";
import { mentionsModuleConditional, moduleHidden, type ModuleHidden } from "../parse/module-hidden.js";
import { identifierTokens } from "../resolve/rename.js";

/** Declarations a module build of the headers lacks, in the TU's order, by where they go. */
export interface HiddenPieces {
  /** Before the include (its `file:line` key) whose headers use them outside the hidden arms. */
  beforeInclude: Map<string, string[]>;
  /** After the includes: only the livepatch's own code uses them. */
  afterIncludes: OutputPiece[];
}

/**
 * A built-in TU reads what kernel headers hide from modules (`#ifndef MODULE`
 * around asm/tlbflush.h's flush_tlb_mm_range, which asm/tlb.h's tlb_flush
 * calls): the livepatch, a module, must declare what it and the headers it
 * includes use from there. The TU's .i has those declarations (and macros):
 * copied from it, before the first include whose headers use one (after the
 * includes when only copied code does), with what they name from there too.
 * `used`: every name the livepatch's own text names.
 */
export function moduleHiddenPieces(ctx: TuContext, used: Set<string>, includes: Array<{ key: string }>): HiddenPieces {
  const out: HiddenPieces = { beforeInclude: new Map(), afterIncludes: [] };
  if ((ctx.tu.macros.get("MODULE") ?? []).length) return out;
  const hiddenIn = new Map<string, ModuleHidden & { text: string }>();
  for (const f of ctx.tu.files) {
    if (f.startsWith("<") || homeOf(ctx, { file: f }) !== "header") continue;
    const text = readText(isAbsolute(f) || !ctx.compileCwd ? f : join(ctx.compileCwd, f));
    if (text !== undefined && mentionsModuleConditional(text)) hiddenIn.set(f, { ...moduleHidden(text), text });
  }
  if (!hiddenIn.size) return out;
  const isHidden = (file: string, line: number) => hiddenIn.get(file)?.ranges.some(([a, b]) => line >= a && line <= b) ?? false;
  // module.h's module arm defines init.h's hidden device_initcall: any file's module arm counts.
  const moduleNames = new Set([...hiddenIn.values()].flatMap((h) => identifierTokens(h.moduleArms).map((t) => t.name)));
  // Hidden names: every live definition in a hidden arm, none in the module's own arm.
  const pieces = new Map<string, Array<{ pos: number; text: string; file: string }>>();
  // A tag's uses in headers (`struct flush_tlb_info *`) need no definition: only ordinary names and macros count there.
  const tags = new Set<string>();
  const decls = ctx.tu.decls.inFiles((f) => hiddenIn.has(f));
  for (const [name, ds] of decls) {
    const all = ctx.tu.decls.get(name) ?? ds;
    if (!all.every((d) => isHidden(d.file, d.line)) || moduleNames.has(name)) continue;
    if (all.every((d) => d.namespace === "tag")) tags.add(name);
    pieces.set(name, all.map((d) => ({ pos: d.start, file: d.file, text: wholeDeclaration(ctx.tu.text.slice(d.start, d.end), d.kind === "function") })));
  }
  for (const [file, h] of hiddenIn) {
    for (const m of h.text.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)/gm)) {
      const defs = ctx.tu.macros.get(m[1]!) ?? [];
      if (!defs.length || !defs.every((d) => isHidden(d.file, d.line)) || moduleNames.has(m[1]!) || pieces.has(m[1]!)) continue;
      // Macros first (pos -1): declarations may be written with them.
      pieces.set(m[1]!, [{ pos: -1, file, text: defs[defs.length - 1]!.definition }]);
    }
  }
  if (!pieces.size) return out;
  // Where each is needed first: an include index (the headers' own uses), or after the includes.
  const AFTER = includes.length;
  const firstNeed = new Map<string, number>();
  const need = (name: string, at: number) => {
    if (!pieces.has(name) || (firstNeed.get(name) ?? Infinity) <= at) return;
    firstNeed.set(name, at);
    for (const p of pieces.get(name)!) for (const t of identifierTokens(p.text, { members: true })) if (t.name !== name) need(t.name, at);
  };
  for (const name of used) need(name, AFTER);
  const names = [...pieces.keys()].map((n) => n.replace(/\$/g, "\\$"));
  const includeOf = (file: string) => includes.findIndex((c) => ctx.tu.includeTree.get(c.key)?.has(file));
  // Not a member (`.name`, `->name`): checked by hand, which is what a lookbehind
  // `(?<![.>]\s*)` in the pattern would do, but 2-3x faster over a .i of 4-6 MB
  // (measured on kernel/fork.c: ~70 ms to ~25 ms).
  const pattern = new RegExp(`\\b(?:${names.join("|")})\\b`, "g");
  for (let m; (m = pattern.exec(ctx.tu.text)); ) {
    if (isMember(ctx.tu.text, m.index)) {
      pattern.lastIndex = m.index + 1;
      continue;
    }
    if (tags.has(m[0])) continue;
    const o = ctx.tu.origin(m.index);
    if (homeOf(ctx, o) !== "header" || isHidden(o.file, o.line)) continue;
    const at = includeOf(o.file);
    // Not before the include that brought the declaration in: what it names is declared by then.
    const declaredAt = Math.max(...pieces.get(m[0])!.map((p) => includeOf(p.file)));
    if (at >= 0) need(m[0], Math.min(AFTER, Math.max(at, declaredAt + 1)));
  }
  const seen = new Set<string>();
  const chosen = [...firstNeed].flatMap(([name, at]) => pieces.get(name)!.map((p) => ({ name, at, ...p })));
  chosen.sort((a, b) => a.at - b.at || a.pos - b.pos);
  for (const c of chosen) {
    if (seen.has(c.text)) continue;
    seen.add(c.text);
    if (c.at === AFTER) {
      out.afterIncludes.push({ origin: "klp-ccp", line: 0, kind: "type", text: c.text, note: `${c.name}: hidden from modules (#ifndef MODULE), copied from the TU` });
      continue;
    }
    const key = includes[c.at]!.key;
    out.beforeInclude.set(key, [...(out.beforeInclude.get(key) ?? []), c.text]);
  }
  return out;
}

/** Whether the name at `at` follows `.` or `->` (blanks between allowed). */
function isMember(text: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && /\s/.test(text[i]!)) i--;
  return i >= 0 && (text[i] === "." || text[i] === ">");
}

/**
 * moduleHiddenPieces() laid out: the pieces for an include prefixed to its
 * text, the rest returned for the start of the body; all under `#ifdef MODULE`
 * (the TU's own built-in command reads them from the headers).
 */
export function placeModuleHidden(ctx: TuContext, used: Set<string>, includes: Array<{ key: string; piece: OutputPiece }>): OutputPiece[] {
  const hidden = moduleHiddenPieces(ctx, used, includes);
  for (const c of includes) {
    const before = hidden.beforeInclude.get(c.key);
    if (before) c.piece = { ...c.piece, text: `/* klp-ccp: hidden from modules (#ifndef MODULE), copied from the TU for the headers below */\n${onlyInModules(before.join("\n"))}\n${c.piece.text}` };
  }
  return hidden.afterIncludes.map((p) => ({ ...p, text: onlyInModules(p.text) }));
}

function onlyInModules(text: string): string {
  return `#ifdef MODULE\n${text}\n#endif`;
}

/** A declaration's .i text, without the line markers inside it, ended by its `;` (a tag's text stops at its `}`). */
function wholeDeclaration(text: string, isDefinition: boolean): string {
  const t = withoutLineMarkers(text).trimEnd();
  return isDefinition || t.endsWith(";") ? t : `${t};`;
}


function withoutLineMarkers(text: string): string {
  return text.replace(/^# \d+ "(?:[^"\\]|\\.)*"(?: \d)*\n/gm, "");
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return undefined;
  }
}
