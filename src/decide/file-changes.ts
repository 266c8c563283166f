import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { FileChange, FilePatch, PatchSet } from "../model/input.js";

export interface FileChangesOptions {
  patch: PatchSet;
  sink: DiagnosticSink;
}

/**
 * Refuses (KLP-E020, at the file's header in the patch) every file the patch
 * creates, deletes, renames, copies or changes as binary: a livepatch
 * replaces functions of code the running kernel already has, in the files
 * it was built from. Returns whether every file is modified in place.
 */
export function checkFileChanges(o: FileChangesOptions): boolean {
  let ok = true;
  for (const f of o.patch.files) {
    const why = refusal(f, f.change);
    if (!why) continue;
    o.sink.report({ code: "KLP-E020", severity: "error", message: why.message, location: f.location, hint: why.hint });
    ok = false;
  }
  return ok;
}

function refusal(f: FilePatch, change: FileChange): { message: string; hint: string } | undefined {
  const isC = /\.c$/.test(f.path);
  switch (change.kind) {
    case "modify":
      return undefined;
    case "create":
      return {
        message: `the patch creates ${f.path}: ${isC ? "a new .c file is a new TU that the running kernel never compiled, so there are no functions of it to replace" : "the running kernel was not built with it, and a livepatch compiles against the headers the kernel shipped"}`,
        hint: isC ? "put the new functions into the existing .c file that calls them; klp-ccp copies a new function where a replaced one calls it" : "move what the new file declares into the .c file that uses it",
      };
    case "delete":
      return {
        message: `the patch deletes ${f.path}: a livepatch cannot remove code from the running kernel, only replace functions`,
        hint: "patch the functions that use the deleted code so that they no longer reach it; the old code stays, unused",
      };
    case "rename":
    case "copy":
      return {
        message: `the patch ${change.kind === "rename" ? "renames" : "copies"} ${change.from} to ${f.path}: a livepatch replaces functions where the running kernel has them; ${change.kind === "rename" ? "a file's new name" : "a new copy"} changes no running code`,
        hint: "leave the rename or copy out of the fix and patch the functions in the file's old place",
      };
    case "binary":
      return { message: `the patch changes the binary file ${f.path}: only C functions can be live-patched`, hint: "leave binary files out of the fix" };
  }
}
