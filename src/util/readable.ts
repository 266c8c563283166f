import { accessSync, constants, statSync } from "node:fs";
import { StageFailed, type DiagnosticSink } from "../diagnostics/diagnostic.js";

/**
 * Why `path` cannot be read as a file (anything but a directory: a regular
 * file, /proc/kallsyms, a pipe) or as a directory (listed and entered), or
 * undefined when it can. Checked before any work, so that a run does not end
 * in a stack trace halfway through.
 */
export function unreadableReason(path: string, kind: "file" | "directory"): string | undefined {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (e) {
    return systemReason(e, kind === "file" ? "no such file" : "no such directory");
  }
  if (isDirectory !== (kind === "directory")) return isDirectory ? "is a directory" : "not a directory";
  try {
    accessSync(path, kind === "file" ? constants.R_OK : constants.R_OK | constants.X_OK);
  } catch (e) {
    return systemReason(e, "cannot be read");
  }
  return undefined;
}

/** A file system error as the user should read it (ENOENT as `missing`). */
export function systemReason(e: unknown, missing = "no such file"): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return missing;
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ENOTDIR") return "a path component is not a directory";
  if (code === "EISDIR") return "is a directory";
  if (code === "ELOOP") return "too many levels of symbolic links";
  return `cannot be read (${code ?? (e as Error).message})`;
}

/**
 * An input that turned out unreadable halfway through a run (a header of --src
 * without read permission, an I/O error) as a located KLP-E004 in the sink and
 * the StageFailed that ends the run; any other error is returned as it is. A
 * file that vanished (ENOENT) is not converted: existence is checked before
 * any work, so a missing file later on is a bug to report.
 */
export function asInputError(e: unknown, sink: DiagnosticSink): unknown {
  const err = e as NodeJS.ErrnoException | undefined;
  if (typeof err?.path !== "string" || typeof err.syscall !== "string" || !["EACCES", "EPERM", "EISDIR", "ELOOP", "EIO", "ENXIO"].includes(err.code ?? "")) return e;
  sink.report({ code: "KLP-E004", severity: "error", message: `cannot be read: ${systemReason(err)}`, location: { file: err.path, line: 0, column: 0 }, hint: "make the kernel tree's files and every input readable by the user running klp-ccp" });
  return new StageFailed("input");
}
