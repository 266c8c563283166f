import { createHash } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { isMainThread, workerData } from "node:worker_threads";
import zlib from "node:zlib";

/**
 * The PCH check (pch-sum.ts), and the worker thread that runs it beside gcc
 * (checkPchAhead): node's built-ins only, so that the worker cannot fail to
 * load and leave its caller waiting. The worker stores 1 (matches), 2 (does
 * not) or 3 (could not check) and wakes the caller.
 */
const crc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** True when the file at `path` (not followed through a symlink) has the checksum `sumLine` (PCH_SUM_FILE's text) says. */
export function pchMatches(path: string, sumLine: string): boolean {
  const m = /^(crc32|sha256) ([0-9a-f]{1,64}) (\d+)\n$/.exec(sumLine);
  if (!m || (m[1] === "crc32" && !crc32)) return false;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return false;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size !== Number(m[3])) return false;
    const buf = Buffer.allocUnsafe(1 << 22);
    const hash = m[1] === "sha256" ? createHash("sha256") : undefined;
    let crc = 0;
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) {
      if (hash) hash.update(buf.subarray(0, n));
      else crc = crc32!(buf.subarray(0, n), crc);
    }
    return (hash ? hash.digest("hex") : (crc >>> 0).toString(16)) === m[2];
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

const job = workerData as { klpPchCheck?: boolean; path: string; sumLine: string; state: Int32Array } | null;
if (!isMainThread && job?.klpPchCheck) {
  let answer = 3;
  try {
    answer = pchMatches(job.path, job.sumLine) ? 1 : 2;
  } finally {
    Atomics.store(job.state, 0, answer);
    Atomics.notify(job.state, 0);
  }
}
