import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { IpaRecord } from "../model/input.js";
import { readIpaClones } from "./ipa-clones.js";

/** Reads `DIR/<path>.000i.ipa-clones` if present; paths in it are made relative to `src`. */
export function readTuIpaClones(dir: string, relPath: string, src: string, sink: DiagnosticSink): { records: IpaRecord[]; found: boolean } {
  const file = join(dir, `${relPath}.000i.ipa-clones`);
  if (!existsSync(file) || statSync(file).isDirectory()) return { records: [], found: false };
  return { records: readIpaClones(file, readFileSync(file, "utf8"), sink, `${src}/`), found: true };
}

/**
 * A header the module build can include: it lives under one of the kernel's
 * include directories (source or build tree) or is the compiler's own. Any
 * other file the TU read (e.g. fs/proc/internal.h) is private to its directory
 * and is not in a linux-headers package, so what the patch needs from it is copied.
 */
export function isIncludableHeader(rel: string): boolean {
  return /^(?:include|arch\/[^/]+\/include)\//.test(rel);
}
