import { close, constants, fstatSync, openSync, read } from "node:fs";

/**
 * Starts reading a whole file on libuv's thread pool and returns at once:
 * the caller goes on with other work and awaits the bytes when it needs
 * them, another core having copied them meanwhile. A regular file is read in
 * one read of its size: fs.readFile reads 512 KB at a time, each step waiting
 * for the main thread, which is busy. A file whose size says nothing (0 for
 * /proc/kallsyms, a pipe such as `--symbols <(...)`) is read until its end.
 * Resolves to undefined when the file cannot be read whole (the caller then
 * reads it itself, which reports why). `noFollow`: a symlink is not followed
 * (cache entries).
 */
export function readAhead(path: string, noFollow = false): Promise<Buffer | undefined> {
  let fd: number;
  try {
    fd = openSync(path, noFollow ? constants.O_RDONLY | constants.O_NOFOLLOW : "r");
  } catch {
    return Promise.resolve(undefined);
  }
  const done = (bytes: Buffer | undefined) => new Promise<Buffer | undefined>((settle) => close(fd, () => settle(bytes)));
  let size: number;
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return done(undefined);
    size = st.isFile() ? st.size : 0;
  } catch {
    return done(undefined);
  }
  if (size === 0) return readToEnd(fd).then(done, () => done(undefined));
  const bytes = Buffer.allocUnsafeSlow(size);
  return new Promise<Buffer | undefined>((settle) => read(fd, bytes, 0, size, 0, (err, n) => settle(err || n !== size ? undefined : bytes))).then(done);
}

/** Reads from the current position until end of file, in growing chunks. */
async function readToEnd(fd: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let chunk = 1 << 16;
  for (;;) {
    const buf = Buffer.allocUnsafe(chunk);
    const n = await new Promise<number>((settle, fail) => read(fd, buf, 0, chunk, null, (err, got) => (err ? fail(err) : settle(got))));
    if (n === 0) return Buffer.concat(chunks);
    chunks.push(n === chunk ? buf : buf.subarray(0, n));
    chunk = Math.min(chunk * 2, 4 << 20);
  }
}
