// Build step, run after tsc and precompile-templates (npm run build, and
// prepare for npm ci): bundles the compiled CLI (dist/cli/main.js and every
// dist/ module it imports) into dist/cli/main.bundle.cjs, one script that
// bin/klp-ccp loads instead of ~75 small ES modules (Node's ESM loader
// resolves, loads and translates each: most of the start-up after node's own).
// CommonJS, not ESM: bin/klp-ccp compiles it with vm.Script, which can keep
// V8's compiled code between runs (a code cache); ES modules cannot on node 20.
// import.meta.url becomes the file's URL, computed from __filename.
// The bundle sits at the depth of dist/cli/main.js, so the URLs the code
// finds files by (import.meta.url + "../../templates/", "../render/...") name
// the same files from either. dist/*.js stay as tsc wrote them (scripts and
// the fallback when the bundle is missing).
//
// commander, shell-quote and Handlebars' one-file runtime (loaded
// by every extract, plain CommonJS) are bundled in; tree-sitter (a native
// addon) and tree-sitter-c are loaded lazily with createRequire and stay in
// node_modules, as does Handlebars' compiler (only for templates that were not
// precompiled).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = new URL("../", import.meta.url);
const bundled = ["commander", "shell-quote", "handlebars/dist/handlebars.runtime.js"];
const external = ["tree-sitter", "tree-sitter-c"];

const result = await build({
  absWorkingDir: fileURLToPath(root),
  entryPoints: ["dist/cli/main.js"],
  outfile: "dist/cli/main.bundle.cjs",
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  external,
  define: { "import.meta.url": "__klpModuleUrl" },
  banner: { js: 'const __klpModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  sourcemap: true,
  metafile: true,
  logLevel: "warning",
});

// Only dist/ and the packages meant to be bundled may be in the bundle.
const strays = Object.keys(result.metafile.inputs).filter(
  (p) => !p.startsWith("dist/") && !bundled.some((name) => p === `node_modules/${name}` || p.startsWith(`node_modules/${name}/`)),
);
if (strays.length > 0) {
  throw new Error(`scripts/bundle.mjs: unexpected modules in the bundle: ${strays.join(", ")}`);
}

// A first run writes V8's code cache beside the bundle on node before 22.1, node's own compile
// cache on later node (see bin/klp-ccp): the bundled example
// runs the pipeline now, so the cache holds the functions an extract compiles, not just the
// start-up's. Best effort: without it the first real run writes one.
rmSync(new URL("../dist/cli/main.bundle.cjs.v8cache", import.meta.url), { force: true });
rmSync(new URL("../dist/cli/main.bundle.js", import.meta.url), { force: true });
rmSync(new URL("../dist/cli/main.bundle.js.map", import.meta.url), { force: true });
const warm = mkdtempSync(join(tmpdir(), "klp-ccp-warm-"));
try {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL("../bin/klp-ccp", import.meta.url)), "extract", "--example", "-q", "--no-cache", "--out", join(warm, "out")], { encoding: "utf8" });
  if (r.status !== 0) process.stderr.write(`scripts/bundle.mjs: warning: warming the code cache failed (exit ${r.status}):\n${r.stderr}`);
} finally {
  rmSync(warm, { recursive: true, force: true });
}
