import { existsSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";

/**
 * Refuses an --out inside --src (or equal to it), before any work: the
 * kernel tree is never modified. Both are compared as real paths (the
 * nearest existing ancestor of --out, resolved), so a symbolic link into the
 * tree counts as inside. An --out that holds --src is refused too: the
 * output replaces the whole directory. Returns whether --out may be used.
 */
export function checkOutOutsideSrc(out: string, src: string, sink: DiagnosticSink): boolean {
  if (!existsSync(src)) return true; // reported where the inputs are checked
  const srcReal = realpathSync(src);
  const outReal = realOfNearestAncestor(resolve(out));
  const outInSrc = inside(outReal, srcReal);
  if (!outInSrc && !inside(srcReal, outReal)) return true;
  const how = `${outInSrc ? "is inside" : "holds"} --src ${src}${outReal !== resolve(out) ? ` (through a symbolic link: ${outReal})` : ""}`;
  sink.report({
    code: "KLP-E019",
    severity: "error",
    message: `--out ${out} ${how}: klp-ccp never writes into the kernel tree`,
    location: { file: out, line: 0, column: 0 },
    hint: "choose an --out outside the source tree",
  });
  return false;
}

/** The real path of `path`, or of its nearest existing ancestor with the rest appended. */
function realOfNearestAncestor(path: string): string {
  const rest: string[] = [];
  let at = path;
  while (!existsSync(at) && dirname(at) !== at) {
    rest.unshift(basename(at));
    at = dirname(at);
  }
  return join(realpathSync(at), ...rest);
}

/** Whether `path` is `dir` or below it (both real, absolute). */
function inside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return !(rel === ".." || rel.startsWith("../") || isAbsolute(rel));
}
