// node scripts/testbed/closure-identical.mjs [--keys ORIGINAL_KEYS.i] ORIGINAL.i REL_PATH CLOSURE.i...
//
// The equivalence check of closure-compile.sh: each closure's functions (the
// .i gcc -save-temps left beside the closure), token by token against the
// TU's own preprocessed text (src/verify/check-equivalence.ts). Prints one
// line per closure that differs (the function, the first differing tokens)
// and last `identical N/M` (M = closures given). Needs `npm run build`.
// --keys: the TU preprocessed with the run-time static key redefinitions, the
// second look for a closure that has them (as verify-module.ts does).
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dist = (m) => import(join(REPO, "dist", m));
const { parsePreprocessed } = await dist("parse/preprocessed-tu.js");
const { checkEquivalence } = await dist("verify/check-equivalence.js");
const { ownLines } = await dist("kbuild/module-compile.js");
const { DiagnosticSink, formatDiagnostic } = await dist("diagnostics/diagnostic.js");

const args = process.argv.slice(2);
const keysFile = args[0] === "--keys" ? (args.shift(), args.shift()) : undefined;
const [originalFile, rel, ...closures] = args;
const isTuFile = (path) => path === rel || path.endsWith(`/${rel}`);
/** The definitions of a preprocessed TU: `name` → its original, the .c file's own first, a header's static inline otherwise. */
function originalsOf(file) {
  const text = readFileSync(file, "utf8");
  const tu = parsePreprocessed(text);
  return (name) => {
    const defs = (tu.decls.get(name) ?? []).filter((d) => d.kind === "function");
    const d = defs.find((x) => x.file === rel || x.file.endsWith(`/${rel}`)) ?? defs[0];
    return d && { name, markerFile: d.file, line: d.line, file: d.file.endsWith(`/${rel}`) ? rel : d.file, text: text.slice(d.start, d.end) };
  };
}
const original = originalsOf(originalFile);
const keyedOriginal = keysFile ? originalsOf(keysFile) : undefined;
const RUNTIME_KEYS = /^#define static_branch_likely\(x\) likely\(static_key_enabled\(x\)\)/m;

let identical = 0;
for (const closure of closures) {
  const text = readFileSync(closure, "utf8");
  const source = closure.replace(/\.i$/, ".c");
  const own = ownLines(text, source, source);
  const names = [...parsePreprocessed(own).decls.inFiles(() => true)].filter(([, ds]) => ds.some((d) => d.kind === "function")).map(([n]) => n);
  const originals = names.map(original).filter(Boolean);
  // __FILE__ names the livepatch's file also in a copied private-header inline (nfsfh.h's fh_copy_shallow).
  const isCopiedFile = (path) => isTuFile(path) || originals.some((o) => o.markerFile === path || o.markerFile.endsWith(`/${path}`));
  const sink = new DiagnosticSink();
  const fn = source.replace(/^.*\//, "").replace(/\.c$/, "");
  const keyed = keyedOriginal && RUNTIME_KEYS.test(readFileSync(source, "utf8")) ? { asModule: () => names.map(keyedOriginal).filter(Boolean) } : {};
  checkEquivalence({ preprocessed: own, fileName: source, originals, expected: [fn], rewrites: { isTuFile: isCopiedFile }, ...keyed, sink });
  if (sink.hasErrors) console.log(`  DIFFERS: ${fn}: ${formatDiagnostic(sink.errors()[0]).split("\n")[0]}`);
  else identical++;
}
console.log(`identical ${identical}/${closures.length}`);
