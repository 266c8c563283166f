// npm test writes nothing outside its own temporary directories: the user's cache
// ($XDG_CACHE_HOME, else ~/.cache) points at a temporary directory for the whole run, whose
// klp-ccp/ is writable by others, so that extract refuses it (KLP-E038): a test that relies on
// the default --cache-dir fails there. Tests inject a cache directory of their own, or --no-cache.
// Node's compile cache (bin/klp-ccp, node >= 22.1) goes there too.
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "klp-ccp-test-xdg-cache-"));
  mkdirSync(join(dir, "klp-ccp"));
  chmodSync(join(dir, "klp-ccp"), 0o777);
  process.env.XDG_CACHE_HOME = dir;
  // bin/klp-ccp on node >= 22.1 keeps compiled code in node's compile cache ($NODE_COMPILE_CACHE, else the system's temporary directory): here, in this run's.
  process.env.NODE_COMPILE_CACHE = join(dir, "node-compile-cache");
  return () => rmSync(dir, { recursive: true, force: true });
}
