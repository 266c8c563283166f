// Build step, run after tsc and precompile-templates (npm run build, and
// prepare for npm ci): bundles the compiled CLI (dist/cli/main.js and every
// dist/ module it imports) into dist/cli/main.bundle.js, one ES module that
// bin/klp-ccp loads instead of ~75 small ones (Node's ESM loader resolves,
// loads and translates each: most of the start-up after node's own).
// The bundle sits at the depth of dist/cli/main.js, so the URLs the code
// finds files by (import.meta.url + "../../templates/", "../render/...") name
// the same files from either. dist/*.js stay as tsc wrote them (scripts and
// the fallback when the bundle is missing).
//
// commander, parse-diff and shell-quote (loaded at start-up anyway, plain
// CommonJS) are bundled in; tree-sitter (a native addon), tree-sitter-c and
// handlebars are loaded lazily with createRequire and stay in node_modules.
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = new URL("../", import.meta.url);
const bundled = ["commander", "parse-diff", "shell-quote"];
const external = ["tree-sitter", "tree-sitter-c", "handlebars", "handlebars/*"];

const result = await build({
  absWorkingDir: fileURLToPath(root),
  entryPoints: ["dist/cli/main.js"],
  outfile: "dist/cli/main.bundle.js",
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external,
  // The bundled CommonJS packages require Node built-ins (node:events, ...),
  // which an ES module can only do through a require of its own.
  banner: { js: 'import { createRequire as __klpCreateRequire } from "node:module";\nconst require = __klpCreateRequire(import.meta.url);' },
  sourcemap: true,
  metafile: true,
  logLevel: "warning",
});

// Only dist/ and the packages meant to be bundled may be in the bundle.
const strays = Object.keys(result.metafile.inputs).filter(
  (p) => !p.startsWith("dist/") && !bundled.some((name) => p.startsWith(`node_modules/${name}/`)),
);
if (strays.length > 0) {
  throw new Error(`scripts/bundle.mjs: unexpected modules in the bundle: ${strays.join(", ")}`);
}
