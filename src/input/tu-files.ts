import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { IpaRecord } from "../model/input.js";
import { readIpaClones } from "./ipa-clones.js";
import { unreadableReason } from "../util/readable.js";

/**
 * Reads `DIR/<path>.000i.ipa-clones` if present; paths in it are made relative to `src`.
 * A dump that is there but cannot be read (a directory, no permission) is an
 * error, never "no dump".
 */
export function readTuIpaClones(dir: string, relPath: string, src: string, sink: DiagnosticSink): { records: IpaRecord[]; found: boolean } {
  const file = join(dir, `${relPath}.000i.ipa-clones`);
  if (!existsSync(file)) return { records: [], found: false };
  const problem = unreadableReason(file, "file");
  if (problem) {
    sink.report({ code: "KLP-E004", severity: "error", message: `the IPA clone dump ${problem === "is a directory" ? "is a directory" : `cannot be read: ${problem}`}`, location: { file, line: 0, column: 0 }, hint: "make it a readable -fdump-ipa-clones dump, or remove it" });
    return { records: [], found: true };
  }
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

/**
 * Headers under include/ that the TU reached a private header through (trace/events/bridge.h
 * includes "../../../net/bridge/br_private.h"): a linux-headers package has them, but not
 * what they include, so the module cannot include them either and they are read like
 * private headers. Transitive: a public header that includes such a one is one too.
 * `includeTree` is the TU's (first file of each set: the one the #include names);
 * `namesLiterally(from, to)`: whether from's text has an #include naming to's file.
 */
export function headersReachingPrivate(includeTree: Map<string, Set<string>>, relOf: (marker: string) => string | undefined, isPrivate: (rel: string) => boolean, namesLiterally: (from: string, to: string) => boolean): Set<string> {
  const out = new Set<string>();
  let grown = true;
  while (grown) {
    grown = false;
    for (const [key, files] of includeTree) {
      const target = files.values().next().value;
      const to = target === undefined ? undefined : relOf(target);
      const from = relOf(key.slice(0, key.lastIndexOf(":")));
      if (!to || !from || out.has(from) || !isIncludableHeader(from)) continue;
      // Only an #include that names the file: trace/define_trace.h reaches a driver's trace header
      // through `#include TRACE_INCLUDE(TRACE_INCLUDE_FILE)`, which the module build computes too.
      if ((isPrivate(to) || out.has(to)) && namesLiterally(from, to)) {
        out.add(from);
        grown = true;
      }
    }
  }
  return out;
}
