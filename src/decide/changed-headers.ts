import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { quote } from "shell-quote";
import type { DiagnosticSink, SourceLocation } from "../diagnostics/diagnostic.js";
import { findHeaderUsers } from "../kbuild/header-users.js";

/** How many TUs a message names before it only counts them. */
const SHOWN = 10;

export interface ChangedHeadersOptions {
  /** The changed headers (relative to `src`) and the first hunk of each. */
  headers: Array<{ path: string; location: SourceLocation }>;
  src: string;
  build: string;
  /** Where `<path>.c.000i.ipa-clones` dumps are. */
  ipaDir: string;
  sink: DiagnosticSink;
}

/**
 * Refuses each changed header whose change klp-ccp cannot follow into the
 * TUs that include it (KLP-E069: a changed macro or declaration that no
 * inline of the header uses, whose expansions are in those TUs' own code; or a
 * header no TU of the build tree includes), naming the TUs of the build tree
 * that include it, which of them have no IPA clone dump yet, and the
 * `klp-ccp prepare` command that makes those dumps. A header fix of inline
 * code, or of added lines with the .c files that use them, never gets here
 * (header-fix.ts).
 */
export function refuseChangedHeaders(o: ChangedHeadersOptions): void {
  if (o.headers.length === 0) return;
  const { users, scanned } = findHeaderUsers({ src: o.src, build: o.build, headers: o.headers.map((h) => h.path) });
  const unsupported = "klp-ccp follows a header's changed inline functions (and the function-like macros they use) into every TU that includes it, and lines a header only gains; a changed macro or declaration that no inline uses is expanded in the .c files' own functions, which it does not compare: patch those functions in their .c files instead (the header left as it is)";
  for (const h of o.headers) {
    const tus = users.get(h.path) ?? [];
    if (tus.length === 0) {
      o.sink.report({
        code: "KLP-E069", severity: "error", location: h.location,
        message: `the patch changes the header ${h.path}, which no TU compiled in ${o.build} includes (none of its ${scanned} .o.cmd files lists it)`,
        hint: `${unsupported}; compile the TUs that use it in the build tree first: ${prepareCommand(o, ["FILE.c..."])}`,
      });
      continue;
    }
    const undumped = tus.filter((tu) => !existsSync(join(o.ipaDir, `${tu}.000i.ipa-clones`)));
    const missing = undumped.length < tus.length ? `${undumped.length} of them ${undumped.length === 1 ? "has" : "have"} no IPA clone dump` : tus.length === 1 ? "it has no IPA clone dump" : "none of them has an IPA clone dump";
    const dumps = undumped.length === 0
      ? `${tus.length === 1 ? "it has" : "each has"} an IPA clone dump`
      : `${missing} in ${o.ipaDir} yet; make ${undumped.length > SHOWN ? `the first ${SHOWN} dumps` : "the dumps"} with: ${prepareCommand(o, undumped.slice(0, SHOWN))}${resolve(o.ipaDir) === resolve(o.build) ? "" : ` (it writes them into ${o.build}: leave out --ipa-clones then)`}`;
    o.sink.report({
      code: "KLP-E069", severity: "error", location: h.location,
      message: `the patch changes the header ${h.path}, which ${tus.length === 1 ? "1 TU" : `${tus.length} TUs`} compiled in ${o.build} include${tus.length === 1 ? "s" : ""}: ${listed(tus)}`,
      hint: `${unsupported}; ${dumps}`,
    });
  }
}

/** The first SHOWN names, and how many more. */
function listed(names: string[]): string {
  const more = names.length - SHOWN;
  return `${names.slice(0, SHOWN).join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
}

export function prepareCommand(o: { src: string; build: string }, files: string[]): string {
  return `klp-ccp prepare --src ${quote([o.src])} --build ${quote([o.build])} ${files.map((f) => (f.endsWith("...") ? f : quote([f]))).join(" ")}`;
}
