import { accessSync, constants, statSync } from "node:fs";

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

/** An error of the file system about one path (open, read, stat ...), as node throws them: not a bug of ours. */
export function isFileSystemError(e: unknown): e is NodeJS.ErrnoException & { path: string } {
  const err = e as NodeJS.ErrnoException | undefined;
  return typeof err?.path === "string" && typeof err.syscall === "string" && typeof err.code === "string" && ["EACCES", "EPERM", "ENOENT", "ENOTDIR", "EISDIR", "ELOOP", "EIO", "ENXIO", "ENAMETOOLONG"].includes(err.code);
}
