import { createHash } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import zlib from "node:zlib";

/**
 * The checksum of a kept PCH (40-100 MB for a kernel TU), written beside it
 * by the detached build once gcc has finished it, and checked by every run
 * that uses it, while gcc reads it. CRC-32 (zlib's, ~2.5x faster than
 * SHA-256 here) where node has it (20.15+), else SHA-256: it guards against
 * damage, not forgery (a cache only the user can write, see the README's
 * trust model). The file: "<algorithm> <hex> <size>\n". A run checks it
 * while gcc reads it, before waiting for gcc (checking it on a worker thread
 * measured slower here: the worker's start-up costs more than it saves).
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
