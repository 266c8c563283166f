// scripts/check-source-splice.mjs CASE_DIR...        (run by scripts/test-kernel.sh)
//
// A source file read back from its kept outline, and a patched file parsed
// against its original (src/parse/source-outline.ts), must have the items and
// nodes a whole-file parse has. For each case's fix, on the real kernel tree:
// the original .c through an outline store (the second read comes from the
// outline), the patched .c spliced from it, each compared with parseWhole()
// (every item's fields, its node's type, span and positions, and the text of
// every node below it). Needs `npm run build` and SRC (eval "$(scripts/testbed/env.sh)").
// Prints one line per case (spliced, or the whole file parsed where a parse error
// lies in what the fix reaches); exit 1 when one differs or fails.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkEachCase } from "./each-case.mjs";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = (m) => import(join(REPO, "dist", m));
const { readPatch } = await dist("input/diff.js");
const { applyPatch } = await dist("kbuild/apply-patch.js");
const { DiagnosticSink } = await dist("diagnostics/diagnostic.js");
const { parseSourceFile, parseWhole } = await dist("parse/source-file.js");

const { SRC } = process.env;
if (!SRC) {
  process.stderr.write('check-source-splice: set SRC (eval "$(scripts/testbed/env.sh)")\n');
  process.exit(2);
}
const dump = (n) => `${n.type}@${n.startIndex}-${n.endIndex}/${n.startPosition.row}:${n.startPosition.column}-${n.endPosition.row}:${n.endPosition.column}${n.hasError ? "!" : ""}(${n.children.map(dump).join(" ")})`;
// Fields in one order (an item read from an outline lists them in another).
const shape = (sf) => JSON.stringify(sf.items.map((i) => Object.entries({ ...i, node: i.node && dump(i.node) }).sort(([a], [b]) => a.localeCompare(b))));
const isTaken = (i) => "get" in (Object.getOwnPropertyDescriptor(i, "node") ?? {});

checkEachCase("splice-check", process.argv.slice(2), (patchFile, work) => {
  const verdicts = check(patchFile, work);
  return { ok: !verdicts.some((v) => v.startsWith("FAIL")), detail: verdicts.join("; ") };
});

/** One verdict per .c file of the fix. */
function check(patchFile, work) {
  const sink = new DiagnosticSink();
  const text = readFileSync(patchFile, "utf8");
  const patch = readPatch(patchFile, text, sink);
  const patched = patch && applyPatch(patch, text, SRC, join(work, "tree"), sink);
  if (!patched) throw new Error(sink.items.map((d) => d.message).join("; "));
  const out = [];
  for (const [rel, after] of patched) {
    if (!rel.endsWith(".c") || !existsSync(join(SRC, rel))) continue;
    const before = readFileSync(join(SRC, rel), "utf8");
    const kept = new Map();
    const store = { get: (t) => (kept.has(t) ? JSON.parse(kept.get(t)) : undefined), put: (t, o) => kept.set(t, JSON.stringify(o)) };
    parseSourceFile(rel, before, { outlines: store });
    const original = parseSourceFile(rel, before, { outlines: store });
    const spliced = parseSourceFile(rel, after, { after: original });
    const how = spliced.items.some(isTaken) ? "spliced" : "whole file";
    if (shape(spliced) !== shape(parseWhole(rel, after))) out.push(`FAIL ${rel} (${how}) differs from a whole-file parse`);
    else if (shape(original) !== shape(parseWhole(rel, before))) out.push(`FAIL ${rel}: its outline differs from a whole-file parse`);
    else out.push(`${rel} ${how}`);
  }
  return out.length ? out : ["no .c file"];
}
