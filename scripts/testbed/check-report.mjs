// scripts/testbed/check-report.mjs REPORT.json CASE.json
//
// Check klp-ccp's report.json against a kernel case's expectations (<0.1 s):
//  - the set of patched[].function equals expect_patched's names, plus at most
//    those of expect_patched_optional (and, where the case names an object or
//    sympos for a function, the report agrees);
//  - every expect_externalized_min name is in externalized[].symbol (with the
//    case's sympos, where it gives one);
//    and so is every expect_externalized_min_<mode> name, <mode> being $KLP_EXTERNALIZE;
//  - no expect_not_externalized name is there;
//  - with "objects" (a fix over several TUs), the klp objects of patched[] are exactly those,
//    and every patched[] entry names its TU (tu) when the report has several (tus).
// Prints one problem per line; exit 0 = all good, 1 = problems, 2 = unreadable.
import { readFileSync } from "node:fs";

const [reportPath, casePath] = process.argv.slice(2);
let report, kcase;
try {
  report = JSON.parse(readFileSync(reportPath, "utf8"));
  kcase = JSON.parse(readFileSync(casePath, "utf8"));
} catch (e) {
  console.log(`cannot read report/case: ${e.message}`);
  process.exit(2);
}
const entries = (v) => (v ?? []).map((x) => (typeof x === "string" ? { name: x } : x));
const names = (v) => entries(v).map((x) => x.name);
const problems = [];

const patched = Array.isArray(report.patched) ? report.patched : [];
if (!Array.isArray(report.patched)) problems.push("report.json has no patched[] array");
const got = patched.map((p) => p.function);
const dup = got.filter((n, i) => got.indexOf(n) !== i);
if (dup.length) problems.push(`patched more than once: ${[...new Set(dup)].join(", ")}`);
const want = entries(kcase.expect_patched);
const allowed = new Set([...want.map((w) => w.name), ...names(kcase.expect_patched_optional)]);
const missing = want.filter((w) => !got.includes(w.name)).map((w) => w.name);
const extra = [...new Set(got.filter((n) => !allowed.has(n)))];
if (missing.length) problems.push(`not patched: ${missing.join(", ")}`);
if (extra.length) problems.push(`patched but not expected: ${extra.join(", ")}`);
for (const w of [...want, ...entries(kcase.expect_patched_optional)]) {
  const p = patched.find((x) => x.function === w.name);
  if (!p) continue;
  if (w.object && p.object !== w.object) problems.push(`${w.name}: object ${p.object}, expected ${w.object}`);
  if (w.sympos !== undefined && (p.sympos ?? 0) !== w.sympos)
    problems.push(`${w.name}: sympos ${p.sympos ?? 0}, expected ${w.sympos}`);
}

const externalized = Array.isArray(report.externalized) ? report.externalized : [];
const ext = new Set(externalized.map((e) => e.symbol));
const minimum = [...entries(kcase.expect_externalized_min), ...entries(kcase[`expect_externalized_min_${process.env.KLP_EXTERNALIZE ?? "kallsyms"}`])];
const notExt = minimum.map((w) => w.name).filter((n) => !ext.has(n));
if (notExt.length) problems.push(`not externalized: ${notExt.join(", ")}`);
for (const w of minimum) {
  const e = externalized.find((x) => x.symbol === w.name);
  if (e && w.sympos !== undefined && (e.sympos ?? 0) !== w.sympos) problems.push(`${w.name}: externalized with sympos ${e.sympos ?? 0}, expected ${w.sympos}`);
}
const badExt = names(kcase.expect_not_externalized).filter((n) => ext.has(n));
if (badExt.length) problems.push(`externalized but exported (call directly): ${badExt.join(", ")}`);

if (Array.isArray(kcase.objects)) {
  const objs = [...new Set(patched.map((p) => p.object))].sort();
  const want = [...kcase.objects].sort();
  if (objs.join(" ") !== want.join(" ")) problems.push(`klp objects ${objs.join(", ")}, expected ${want.join(", ")}`);
}
if (Array.isArray(report.tus) && report.tus.length > 1) {
  const tus = new Set(report.tus.map((t) => t.tu));
  for (const p of patched) if (!tus.has(p.tu)) problems.push(`${p.function}: no TU of the report (tu ${p.tu})`);
}

for (const p of problems) console.log(p);
process.exit(problems.length ? 1 : 0);
