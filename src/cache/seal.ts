import { createHash } from "node:crypto";
import zlib from "node:zlib";

/**
 * The integrity check of every cache entry: the content, then its SHA-256
 * and a magic word, written after the content (and the whole file renamed
 * into place), so that a changed, truncated or half-written entry never
 * reads as valid. SHA-256 because node's is the fastest hash it has here
 * (~2 GB/s with the CPU's SHA instructions), and a cache byte must not be
 * trusted on a 32-bit coincidence.
 */
const MAGIC = Buffer.from("KLPSEAL1");
const HASH_BYTES = 32;
const TRAILER = HASH_BYTES + MAGIC.length;

/** `content` with its checksum appended. */
export function seal(content: string | Uint8Array): Buffer {
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  return Buffer.concat([bytes, sha256(bytes), MAGIC]);
}

/** The content of a sealed buffer (a view, no copy), or undefined when its checksum does not match. */
export function unseal(sealed: Buffer): Buffer | undefined {
  if (sealed.length < TRAILER) return undefined;
  const end = sealed.length - TRAILER;
  if (!sealed.subarray(end + HASH_BYTES).equals(MAGIC)) return undefined;
  const content = sealed.subarray(0, end);
  return sha256(content).equals(sealed.subarray(end, end + HASH_BYTES)) ? content : undefined;
}

/** SHA-256 of some bytes. */
export function sha256(bytes: Uint8Array): Buffer {
  return createHash("sha256").update(bytes).digest();
}

const crc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/**
 * A checksum of a big cache file's bytes (a TU's kept headers: 3-10 MB, read
 * on every run), as "crc32:HEX:LENGTH": zlib's CRC-32 is ~3x cheaper than
 * SHA-256 and enough against damage (the README's trust model); SHA-256
 * where node lacks it (before 20.15).
 */
export function quickSum(bytes: Uint8Array): string {
  return crc32 ? `crc32:${(crc32(bytes) >>> 0).toString(16)}:${bytes.length}` : `sha256:${sha256(bytes).toString("hex")}`;
}
