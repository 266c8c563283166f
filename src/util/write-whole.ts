import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Writes `data` to `path` (making its directory) under a temporary name and
 * renames it into place, so that a reader, another run included, never sees
 * half of it. Throws as writeFileSync does; the caches that use it keep
 * nothing then.
 */
export function writeWhole(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
