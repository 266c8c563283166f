/**
 * A little JSON and some int32 arrays as one buffer: a 4-byte header length,
 * the JSON header (with the arrays' lengths), then the arrays little-endian.
 * What the caches keep of indexes (symbol tables, a TU's headers' scan):
 * reading ~10^5 numbers back this way costs a copy, as JSON a parse.
 */
export function encodeInt32Blob(header: object, arrays: Int32Array[]): Buffer {
  const json = Buffer.from(JSON.stringify({ ...header, lengths: arrays.map((a) => a.length) }));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  return Buffer.concat([length, json, ...arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))]);
}

/** The header and arrays encodeInt32Blob() wrote (throws on a malformed buffer). */
export function decodeInt32Blob<H>(data: Buffer): { header: H; arrays: Int32Array[] } {
  const jsonLength = data.readUInt32LE(0);
  const header = JSON.parse(data.toString("utf8", 4, 4 + jsonLength)) as H & { lengths: number[] };
  let at = 4 + jsonLength;
  const arrays = header.lengths.map((n) => {
    if (at + n * 4 > data.length) throw new Error("int32 blob: truncated");
    // Copied out: a view would need the buffer's offset 4-byte aligned.
    const a = new Int32Array(n);
    Buffer.from(a.buffer).set(data.subarray(at, at + n * 4));
    at += n * 4;
    return a;
  });
  return { header, arrays };
}
