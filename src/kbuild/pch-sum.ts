import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { pchMatches } from "./pch-check-worker.js";

export { pchMatches };

/**
 * The checksum of a kept PCH (40-100 MB for a kernel TU), written beside it
 * by the detached build once gcc has finished it, and checked by every run
 * that uses it, while gcc reads it. CRC-32 (zlib's, ~2.5x faster than
 * SHA-256 here) where node has it (20.15+), else SHA-256: it guards against
 * damage, not forgery (a cache only the user can write, see the README's
 * trust model). The file: "<algorithm> <hex> <size>\n". A run checks it on
 * a worker thread (checkPchAhead), beside gcc and the main thread.
 */
export const PCH_SUM_FILE = "prefix.h.gch.sum";

/** The build's own check, run by node after gcc: `node -e PCH_FINISH DIR ENTRY GCC-ARGV...`; the same hashing as pchMatches(). */
export const PCH_FINISH = `
const [dir, entry, ...argv] = process.argv.slice(1);
const fs = require("fs"), zlib = require("zlib"), crypto = require("crypto");
const gch = dir + "/prefix.h.gch";
let ok = require("child_process").spawnSync(argv[0], argv.slice(1), { stdio: "ignore" }).status === 0;
try {
  if (ok) {
    const fd = fs.openSync(gch, "r"), buf = Buffer.allocUnsafe(1 << 22), hash = zlib.crc32 ? null : crypto.createHash("sha256");
    let crc = 0, size = 0;
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; size += n) hash ? hash.update(buf.subarray(0, n)) : (crc = zlib.crc32(buf.subarray(0, n), crc));
    fs.closeSync(fd);
    const sum = hash ? "sha256 " + hash.digest("hex") : "crc32 " + (crc >>> 0).toString(16);
    fs.writeFileSync(dir + "/${PCH_SUM_FILE}", sum + " " + size + "\\n", { mode: 0o600 });
    fs.rmSync(entry, { recursive: true, force: true });
    fs.renameSync(dir, entry);
  }
} catch { ok = false; }
if (!ok) fs.writeFileSync(entry + ".failed", "");
fs.rmSync(dir, { recursive: true, force: true });
`;

/** Longest wait for the worker's answer before checking here instead. */
const WORKER_WAIT_MS = 10_000;
/** The worker's module: dist/kbuild/ both from dist/kbuild/pch-sum.js and from the bundle in dist/cli/. */
const WORKER_FILE = new URL("../kbuild/pch-check-worker.js", import.meta.url);

/**
 * Starts pchMatches() on a worker thread (pch-check-worker.ts) and returns at
 * once; the returned function waits (synchronously) for its answer. Where no
 * worker starts or answers (no compiled worker, as under the tests' TS), the
 * check runs on the calling thread.
 */
export function checkPchAhead(path: string, sumLine: string): () => boolean {
  // 0: pending, 1: matches, 2: does not, 3: the worker could not check.
  const state = new Int32Array(new SharedArrayBuffer(4));
  let worker: Worker | undefined;
  try {
    if (existsSync(WORKER_FILE)) {
      worker = new Worker(WORKER_FILE, { workerData: { klpPchCheck: true, path, sumLine, state } });
      worker.unref();
      worker.on("error", () => undefined);
    }
  } catch {
    worker = undefined;
  }
  return () => {
    if (worker && Atomics.load(state, 0) === 0) Atomics.wait(state, 0, 0, WORKER_WAIT_MS);
    const answer = Atomics.load(state, 0);
    void worker?.terminate();
    return answer === 1 || answer === 2 ? answer === 1 : pchMatches(path, sumLine);
  };
}
