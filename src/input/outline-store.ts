import type { CacheDir } from "../model/cache.js";
import type { OutlineStore, SourceOutline } from "../model/syntax.js";
import { discardEntry, readEntry, writeEntry } from "../cache/cache-files.js";
import { cacheKey } from "../cache/layout.js";

/**
 * Outlines of source files (parse/source-outline.ts) kept under
 * <cacheDir>/sources/, one sealed JSON file per text, named by a hash of it:
 * a kernel .c or header is parsed once, and read back (~1 ms) by every later
 * run on the same tree. An entry that fails its checksum, or whose offsets
 * and lines do not lie inside the text (validOutline), is discarded; writing
 * one that fails is only slower.
 */
export function diskOutlineStore(cache: CacheDir | undefined): OutlineStore | undefined {
  if (!cache) return undefined;
  return {
    get(text) {
      const key = cacheKey("sources", text);
      const content = readEntry(cache, "sources", key, ".json");
      if (!content) return undefined;
      let outline: unknown;
      try {
        outline = JSON.parse(content.toString("utf8"));
      } catch {
        outline = undefined;
      }
      if (validOutline(outline, text)) return outline;
      discardEntry(cache, "sources", key, ".json");
      return undefined;
    },
    put(text, outline) {
      writeEntry(cache, "sources", cacheKey("sources", text), ".json", JSON.stringify(outline));
    },
  };
}

const KINDS = new Set(["include", "macro", "function", "declaration", "other"]);
const isInt = (v: unknown, lo: number, hi: number): v is number => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
const optional = (v: unknown, type: string) => v === undefined || typeof v === type;

/** True when `o` is an outline whose every offset and line lies inside `text`, in order (what the parse layer relies on). */
export function validOutline(o: unknown, text: string): o is SourceOutline {
  if (!o || typeof o !== "object") return false;
  const { version, items, tops, recovered } = o as Record<string, unknown>;
  if (typeof version !== "number" || typeof recovered !== "boolean" || !Array.isArray(items) || !Array.isArray(tops)) return false;
  const length = text.length;
  let lines = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lines++;
  let last = 0;
  for (const t of tops as unknown[]) {
    if (!Array.isArray(t) || t.length !== 3 || !isInt(t[0], last, length) || !isInt(t[1], t[0], length) || typeof t[2] !== "boolean") return false;
    last = t[1];
  }
  for (const item of items as unknown[]) {
    if (!item || typeof item !== "object") return false;
    const it = item as Record<string, unknown>;
    if (!KINDS.has(it.kind as string) || typeof it.hasError !== "boolean") return false;
    if (!isInt(it.start, 0, length) || !isInt(it.codeStart, it.start, length) || !isInt(it.end, it.codeStart, length)) return false;
    if (!isInt(it.startLine, 1, lines) || !isInt(it.codeStartLine, it.startLine, lines) || !isInt(it.endLine, it.codeStartLine, lines)) return false;
    if (!optional(it.name, "string") || !optional(it.includePath, "string") || !optional(it.includeQuoted, "boolean") || !optional(it.nodeType, "string")) return false;
    if (it.nodeEnd !== undefined && !isInt(it.nodeEnd, it.codeStart, length)) return false;
    if ((it.nodeType === undefined) !== (it.nodeEnd === undefined)) return false;
  }
  return true;
}
