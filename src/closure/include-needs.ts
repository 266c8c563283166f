import type { PpDecl } from "../model/syntax.js";
import type { TranslationUnit } from "../model/tu.js";

/** What one kernel header, included from a private header, needs from the types above its include. */
export interface IncludeNeed {
  /** Enums and typedefs of the TU's own files that the header names, in TU order: copied whole before the include (a parameter of enum type needs its definition). */
  types: PpDecl[];
  /** Struct and union tags it names: declared (`struct A;`) before the include. */
  tags: string[];
}

/**
 * A kernel header included from the middle of a private header (afs's
 * internal.h includes trace/events/afs.h after its own enums), or from the .c
 * file after a private header (ext4's ialloc.c includes trace/events/ext4.h
 * after "ext4.h", whose ext4_group_t its prototypes take), may name the types
 * defined above that include. The livepatch keeps the include with the
 * others, before any copied code, so those types go just before it. Keyed by
 * the include (`marker:line`); only includes in private headers and the .c
 * file's after its first private header are read (their kernel headers are few).
 */
export function includeNeeds(ctx: TranslationUnit): Map<string, IncludeNeed> {
  const out = new Map<string, IncludeNeed>();
  const own = ctx.ownDecls();
  const lineOf = (key: string) => Number(key.slice(key.lastIndexOf(":") + 1));
  const relOf = (key: string) => ctx.markerToRel.get(key.slice(0, key.lastIndexOf(":")));
  const privateFrom = Math.min(...[...ctx.tu.includeTree].filter(([k, inc]) => relOf(k) === ctx.relPath && [...inc].some((f) => ctx.localHeaders.has(ctx.markerToRel.get(f) ?? ""))).map(([k]) => lineOf(k)));
  for (const [key, included] of ctx.tu.includeTree) {
    const rel = relOf(key);
    if (!rel || !(ctx.localHeaders.has(rel) || (rel === ctx.relPath && lineOf(key) > privateFrom))) continue;
    const files = new Set([...included].filter((f) => ctx.homeOf({ file: f }) === "header"));
    if (files.size === 0) continue;
    const need: IncludeNeed = { types: [], tags: [] };
    const seen = new Set<string>();
    for (const decls of ctx.tu.decls.inFiles((f) => files.has(f)).values()) {
      for (const d of decls) {
        if (!files.has(d.file)) continue;
        for (const m of ctx.tu.text.slice(d.start, d.end).matchAll(/\b(?:(struct|union|enum)\s+)?([A-Za-z_]\w*)/g)) {
          const [, kind, name] = m;
          if (seen.has(`${kind} ${name}`)) continue;
          seen.add(`${kind} ${name}`);
          const def = (own.get(name!) ?? []).find((o) => (kind ? o.namespace === "tag" : o.kind === "typedef") && o.start < d.start);
          if (!def) continue;
          if (kind === "struct" || kind === "union") need.tags.push(`${kind} ${name}`);
          else need.types.push(def);
        }
      }
    }
    need.types.sort((a, b) => a.start - b.start);
    if (need.types.length || need.tags.length) out.set(key, need);
  }
  return out;
}

/** The text that goes before include `key`: `struct A;` lines, then the types `need` names, copied from their private header. */
export function typesBeforeInclude(ctx: TranslationUnit, key: string, need: IncludeNeed | undefined): string {
  if (!need) return "";
  const types = need.types.map((d) => {
    const rel = ctx.markerToRel.get(d.file) ?? "";
    const file = rel === ctx.relPath ? ctx.main : ctx.localHeaders.get(rel);
    const item = file?.items.find((i) => d.line >= i.startLine && d.line <= i.endLine);
    return file && item ? file.text.slice(item.start, item.end) : "";
  });
  const from = ctx.markerToRel.get(key.slice(0, key.lastIndexOf(":")));
  return `/* klp-ccp: what the next header needs from ${from} */\n${[...need.tags.map((t) => `${t};`), ...types].filter(Boolean).join("\n")}\n`;
}
