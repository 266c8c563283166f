import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { TranslationUnit, type TuFacts } from "../src/model/tu.js";
import { parsePreprocessed } from "../src/parse/preprocessed-tu.js";
import { parseSourceFile } from "../src/parse/source-file.js";
import { objectSymbols } from "../src/elf/object-symbols.js";

/**
 * A real TranslationUnit for a stage test: the facts given, the rest those
 * of an empty TU (no declarations, no IPA dump, vmlinux). `preprocessed` is
 * the .i text (line markers name the files); `sourceDirs` are searched in
 * order for the files loadSource is asked for.
 */
export function tuFixture(facts: Partial<TuFacts> & { relPath: string; preprocessed?: string; sourceDirs?: string[] }): TranslationUnit {
  const { preprocessed, sourceDirs = [], ...given } = facts;
  const main = given.main ?? parseSourceFile(given.relPath, "");
  const readSource = (rel: string) => {
    const dir = sourceDirs.find((d) => existsSync(join(d, rel)));
    return dir === undefined ? undefined : parseSourceFile(rel, readFileSync(join(dir, rel), "utf8"));
  };
  return new TranslationUnit(
    { main, original: main, localHeaders: new Map(), tu: given.tu ?? parsePreprocessed(preprocessed ?? ""), markerToRel: new Map([[given.relPath, given.relPath]]), object: "vmlinux", ipa: [], hasIpaDump: false, ...given },
    { readSource, readObjectSymbols: (file) => objectSymbols(file) },
  );
}
