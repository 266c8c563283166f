// scripts/corpus/summary.mjs NAME RESULTS_DIR IDS_FILE JUDGMENTS.tsv
//
// Reads run-patch.sh's results (RESULTS_DIR/<id>.tsv: id path mode outcome detail) for the
// ids of IDS_FILE and the hand-made judgments of refusals, prints one line per patch, the
// refusals with their judgment, and the summary line
//   corpus NAME: N patches, livepatchable L, built kallsyms A/L, built klp-reloc B/L,
//   loaded in both modes F/L (P%), loaded C/D, accepted but not building E,
//   refused by code (kallsyms/klp-reloc) ...
// N counts the patches whose patched file compiles in tree (the others are "dropped") and
// that change more than comments or whitespace ("no-change");
// L = N minus the patches with a refusal judged correct; D = the modules built and booted;
// F = the livepatchable patches loaded in every mode (issue 16's measure: 95%).
// Exit 1 when a refusal has no judgment (a new refusal, or a different code), when a
// judgment no longer matches (the judged refusal did not happen), or when extract
// failed with exit 2/3 or a patch has no result; with --strict also when a livepatchable
// patch (not dropped, not whitespace only, no refusal judged correct) did not build and load
// in every mode: accepted but not building or loading, or refused as a gap. Output is sorted: the same results print the same.
import { existsSync, readFileSync } from "node:fs";

const args = process.argv.slice(2);
const strict = args.includes("--strict");
const [name, resultsDir, idsFile, judgmentsFile] = args.filter((a) => a !== "--strict");
const MODES = ["kallsyms", "klp-reloc"];
const BUILT = new Set(["built", "loaded", "not-loaded"]);

const tsv = (file) => readFileSync(file, "utf8").split("\n")
  .filter((l) => l.trim() !== "" && !l.startsWith("#")).map((l) => l.split("\t"));
const ids = readFileSync(idsFile, "utf8").split("\n").filter(Boolean).sort();
// judgments.tsv: id, mode (kallsyms, klp-reloc or *), codes, shape, verdict ("correct refusal: ..." | "gap: ...")
const judgments = existsSync(judgmentsFile) ? tsv(judgmentsFile).slice(1) : [];
const judgmentOf = (id, mode, codes) =>
  judgments.find(([jid, jmode, jcodes]) => jid === id && (jmode === "*" || jmode === mode) && jcodes === codes);

const problems = [];
const patches = [];
for (const id of ids) {
  const file = `${resultsDir}/${id}.tsv`;
  if (!existsSync(file)) { problems.push(`${id}: no result`); continue; }
  const byMode = {};
  let path = "";
  for (const [, p, mode, outcome, detail = ""] of tsv(file)) { path = p; byMode[mode] = { outcome, detail }; }
  patches.push({ id, path, byMode });
}

const out = [];
const counts = { n: 0, dropped: 0, "no-change": 0, l: 0, built: { kallsyms: 0, "klp-reloc": 0 }, loaded: 0, both: 0, booted: 0, notBuilding: 0, errors: 0 };
const refusedBy = new Map();       // code -> {kallsyms, klp-reloc}
const refusals = [];               // rows of the refusal table
for (const p of patches) {
  const modes = MODES.filter((m) => p.byMode[m]);
  for (const kind of ["dropped", "no-change"]) {
    if (!modes.every((m) => p.byMode[m].outcome === kind)) continue;
    counts[kind]++;
    out.push(`${p.id}: ${kind} (${p.byMode[modes[0]]?.detail ?? ""})`);
  }
  if (modes.every((m) => ["dropped", "no-change"].includes(p.byMode[m].outcome))) continue;
  counts.n++;
  let correct = false;
  const parts = [];
  for (const m of modes) {
    const { outcome, detail } = p.byMode[m];
    parts.push(`${m}: ${outcome}${detail ? ` (${detail})` : ""}`);
    if (outcome === "refused") {
      for (const c of detail.split(",")) {
        const e = refusedBy.get(c) ?? { kallsyms: 0, "klp-reloc": 0 };
        e[m]++; refusedBy.set(c, e);
      }
      const j = judgmentOf(p.id, m, detail);
      if (!j) problems.push(`${p.id} [${m}]: refused with ${detail}, no judgment in judgments.tsv`);
      else if (j[4].startsWith("correct")) correct = true;
      refusals.push([p.id, m, detail, j?.[3] ?? "?", j?.[4] ?? "NOT JUDGED"]);
    } else if (outcome === "error") { counts.errors++; problems.push(`${p.id} [${m}]: ${detail}`); }
    if (outcome === "not-building") counts.notBuilding++;
    if (outcome === "loaded" || outcome === "not-loaded") counts.booted++;
    if (outcome === "loaded") counts.loaded++;
  }
  // A judgment whose refusal did not happen (accepted now, or another code) is stale.
  for (const [jid, jmode, jcodes] of judgments) {
    if (jid !== p.id) continue;
    for (const m of jmode === "*" ? modes : [jmode]) {
      const r = p.byMode[m];
      if (r && !(r.outcome === "refused" && r.detail === jcodes))
        problems.push(`${p.id} [${m}]: judged as refused with ${jcodes}, now ${r.outcome}${r.detail ? ` (${r.detail})` : ""}`);
    }
  }
  if (!correct) {
    counts.l++;
    for (const m of modes) if (BUILT.has(p.byMode[m].outcome)) counts.built[m]++;
    if (modes.length === MODES.length && modes.every((m) => p.byMode[m].outcome === "loaded")) counts.both++;
  }
  out.push(`${p.id}: ${parts.join("; ")}${correct ? " [correct refusal]" : ""}`);
  // --strict (CI's sample): a livepatchable patch must build and load in every mode; a refusal
  // judged a gap counts as failing too, so the sample holds only what works or is refused rightly.
  if (strict && !correct) for (const m of modes) {
    const { outcome, detail } = p.byMode[m];
    if (outcome !== "loaded" && outcome !== "built") problems.push(`${p.id} [${m}]: livepatchable, but ${outcome}${detail ? ` (${detail})` : ""}`);
  }
}

console.log(out.join("\n"));
if (refusals.length) {
  console.log("\nrefusals (patch | mode | codes | shape | judgment):");
  for (const r of refusals) console.log(`  ${r.join(" | ")}`);
}
if (problems.length) {
  console.log(`\n${problems.length} problem(s):`);
  for (const p of problems) console.log(`  ${p}`);
}
const byCode = [...refusedBy.keys()].sort()
  .map((c) => `${c} ${refusedBy.get(c).kallsyms}/${refusedBy.get(c)["klp-reloc"]}`).join(", ");
console.log(`\ncorpus ${name}: ${counts.n} patches, livepatchable ${counts.l}, ` +
  `built kallsyms ${counts.built.kallsyms}/${counts.l}, built klp-reloc ${counts.built["klp-reloc"]}/${counts.l}, ` +
  `loaded in both modes ${counts.both}/${counts.l} (${counts.l ? Math.floor((100 * counts.both) / counts.l) : 0}%), ` +
  `loaded ${counts.loaded}/${counts.booted}, accepted but not building ${counts.notBuilding}, ` +
  `refused by code (kallsyms/klp-reloc) ${byCode || "none"}` +
  `${counts.dropped ? `; dropped ${counts.dropped} (patched file does not compile in tree)` : ""}` +
  `${counts["no-change"] ? `; ${counts["no-change"]} change only comments or whitespace` : ""}` +
  `${counts.errors ? `; extract errors ${counts.errors}` : ""}`);
process.exit(problems.length ? 1 : 0);
