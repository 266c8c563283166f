import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync } from "node:fs";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { run, type RunResult } from "./run.js";
import { makeScratchDir } from "../util/scratch-dir.js";

/** A program started with runInBackground(). */
export interface BackgroundRun {
  /** Hands what the program wrote to stdout since the last call to `onOutput`; never blocks. */
  poll(): void;
  /** Waits for the program to end, handing its output to `onOutput` as it comes. `stdout` is always "". */
  wait(): RunResult;
  /** Stops the program if it still runs and forgets its files. */
  cancel(): void;
}

// The shell writes the exit status last (renamed into place), so its presence means "done";
// a missing program gives the status and message run() gives.
const WRAPPER = 'o=$1 e=$2 s=$3; shift 3; if command -v "$1" >/dev/null 2>&1; then "$@" >"$o" 2>"$e"; echo $? >"$s.new"; else printf "spawnSync %s ENOENT" "$1" >"$e"; echo 127 >"$s.new"; fi; mv "$s.new" "$s"';
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Starts `argv` (like run(), without a shell of its own making) and returns
 * at once, so that the caller can do other work while it runs. Its stdout
 * goes to a file, never a pipe, so the program does not stall while the
 * caller is busy; poll() and wait() read the file as it grows. Waiting is
 * synchronous: the pipeline stays a plain sequence of stages.
 */
export function runInBackground(argv: string[], cwd: string, onOutput: (piece: string) => void): BackgroundRun {
  const dir = makeScratchDir("run");
  const out = join(dir, "stdout");
  const err = join(dir, "stderr");
  const status = join(dir, "status");
  // Its own process group, so that cancel() stops the compiler too, not only the shell.
  const child = spawn("/bin/sh", ["-c", WRAPPER, "sh", out, err, status, ...argv], { cwd, stdio: "ignore", detached: true });
  child.on("error", () => undefined);
  const decoder = new StringDecoder("utf8");
  const buf = Buffer.allocUnsafe(1 << 20);
  let fd: number | undefined;
  let pos = 0;
  let finished: RunResult | undefined;

  const poll = () => {
    if (fd === undefined) {
      if (!existsSync(out)) return;
      fd = openSync(out, "r");
    }
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) return;
      pos += n;
      const piece = decoder.write(buf.subarray(0, n));
      if (piece) onOutput(piece);
    }
  };
  const cleanup = () => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    rmSync(dir, { recursive: true, force: true });
  };

  // No shell (spawn failed at once): do it the plain way.
  if (child.pid === undefined) {
    cleanup();
    const r = run(argv, cwd);
    if (r.stdout) onOutput(r.stdout);
    finished = { status: r.status, stdout: "", stderr: r.stderr };
  }

  return {
    poll: () => {
      if (!finished) poll();
    },
    wait: () => {
      if (finished) return finished;
      for (;;) {
        poll();
        if (existsSync(status) || exited(child.pid!)) break;
        Atomics.wait(sleeper, 0, 0, 2);
      }
      poll();
      const rest = decoder.end();
      if (rest) onOutput(rest);
      const code = existsSync(status) ? Number(readFileSync(status, "utf8").trim()) : 1;
      const stderr = existsSync(err) ? readFileSync(err, "utf8") : "the preprocessor was killed";
      cleanup();
      finished = { status: Number.isFinite(code) ? code : 1, stdout: "", stderr };
      return finished;
    },
    cancel: () => {
      if (finished) return;
      if (!existsSync(status)) {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // already gone
        }
      }
      cleanup();
      finished = { status: 1, stdout: "", stderr: "cancelled" };
    },
  };
}

/** True when the process has ended (a zombie nobody reaped yet, or gone); false when unknown. */
function exited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state === "Z" || state === "X";
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" && existsSync("/proc/self");
  }
}

/**
 * Starts `argv` and leaves it running after this process exits (nothing
 * waits for it, its output is dropped): work whose result only a later run
 * uses, such as building a TU's precompiled header.
 */
export function runDetached(argv: string[], cwd: string): void {
  try {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: "ignore", detached: true });
    child.on("error", () => undefined);
    child.unref();
  } catch {
    // nothing kept: the next run preprocesses the whole TU again
  }
}
