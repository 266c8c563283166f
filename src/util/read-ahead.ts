import { close, constants, fstatSync, openSync, read } from "node:fs";

/**
 * Starts reading a whole file on libuv's thread pool and returns at once:
 * the caller goes on with other work and awaits the bytes when it needs
 * them, another core having copied them meanwhile. One read for the whole
 * file: fs.readFile reads 512 KB at a time, each step waiting for the main
 * thread, which is busy. Resolves to undefined when the file cannot be read
 * whole (the caller then reads it itself, which reports why). `noFollow`:
 * a symlink is not followed (cache entries).
 */
export function readAhead(path: string, noFollow = false): Promise<Buffer | undefined> {
  let fd: number;
  let size: number;
  try {
    fd = openSync(path, noFollow ? constants.O_RDONLY | constants.O_NOFOLLOW : "r");
  } catch {
    return Promise.resolve(undefined);
  }
  try {
    size = fstatSync(fd).size;
  } catch {
    return new Promise((done) => close(fd, () => done(undefined)));
  }
  const bytes = Buffer.allocUnsafeSlow(size);
  return new Promise((done) => {
    read(fd, bytes, 0, size, 0, (err, n) => close(fd, () => done(err || n !== size ? undefined : bytes)));
  });
}
