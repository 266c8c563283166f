import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Scratch directories are `$TMPDIR/klp-ccp-pid<PID>-<kind>-XXXXXX`: the pid says whose they are. */
const SCRATCH = /^klp-ccp-pid(\d+)-/;

let swept = false;

/**
 * A new scratch directory for this process. The first one a process makes
 * also removes those that runs killed before they could clean up left behind
 * (SIGKILL, power loss): the directories of processes that no longer exist.
 */
export function makeScratchDir(kind: string): string {
  if (!swept) {
    swept = true;
    removeStaleScratchDirs(tmpdir());
  }
  // A fixed-width pid: the kept headers name this run's work tree and are reused only for
  // a path of the same length (pid_max is at most 2^22, 7 digits).
  return mkdtempSync(join(tmpdir(), `klp-ccp-pid${String(process.pid).padStart(7, "0")}-${kind}-`));
}

/** Removes the scratch directories in `dir` whose process is gone; a live run's (or another user's) are left alone. Returns their names. */
export function removeStaleScratchDirs(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(SCRATCH.exec(name)?.[1]);
    if (!pid || pid === process.pid || isAlive(pid) || !ownedByMe(join(dir, name))) continue;
    try {
      rmSync(join(dir, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // another run removes it at the same time, or it is not ours to remove
    }
  }
  return removed;
}

/** Whether a process with this pid exists (EPERM: it does, another user's). A reused pid keeps a stale directory: the safe way round. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function ownedByMe(path: string): boolean {
  try {
    const st = statSync(path);
    return st.isDirectory() && (process.getuid === undefined || st.uid === process.getuid());
  } catch {
    return false;
  }
}
