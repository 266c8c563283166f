import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { OutlineStore, SourceOutline } from "../model/syntax.js";
import { writeWhole } from "../util/write-whole.js";

/**
 * Outlines of source files (parse/source-outline.ts) kept under
 * <cacheDir>/sources/, one JSON file per text, named by a hash of it: a
 * kernel .c or header is parsed once, and read back (~1 ms) by every later
 * run on the same tree. An entry is written whole (writeWhole); any trouble
 * reading one means "no entry", and writing one that fails is only slower.
 */
export function diskOutlineStore(cacheDir: string | undefined): OutlineStore | undefined {
  if (!cacheDir) return undefined;
  const dir = join(cacheDir, "sources");
  const entry = (text: string) => join(dir, `${createHash("sha1").update(text).digest("hex")}.json`);
  return {
    get(text) {
      try {
        const outline = JSON.parse(readFileSync(entry(text), "utf8")) as SourceOutline;
        return Array.isArray(outline.items) && Array.isArray(outline.tops) ? outline : undefined;
      } catch {
        return undefined;
      }
    },
    put(text, outline) {
      try {
        writeWhole(entry(text), JSON.stringify(outline));
      } catch {
        // a cache that cannot be written is only slower
      }
    },
  };
}
