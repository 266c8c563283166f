// scripts/bench.mjs [--runs N] [--only NAME,...] [--timings] [--check] [--no-cache] [--no-verify]     (npm run bench)
//
// Speed of `klp-ccp extract` on real TUs of the Debian 6.1 test bed (issue #6).
// For each TU below, with its one-function fix from scripts/bench-fixes/NAME.patch,
// runs N times (default 5), alternating:
//   - plain `gcc -E` with the TU's own compile command (from BUILD/.<obj>.cmd, output
//     discarded): what the compiler alone needs to read the TU;
//   - `bin/klp-ccp extract ... -q` as a child process (the command as users run it, so
//     its launcher's start-up is counted), timed from spawn to exit,
//     peak RSS from `/usr/bin/time -f %M` (or, without it, the child's VmHWM polled).
//     Each TU gets an empty cache (--cache-dir): its first run (printed as "1st run")
//     compiles the #includes as a module and stages the TU's headers, whose PCH gcc
//     builds in the background (1-3 s, awaited before the next run); later runs reuse
//     both as any second fix to the same TU would (only the rest of the file is
//     preprocessed). --no-cache measures every run cold; --no-verify runs extract without the whole-module compile and equivalence check (README, "The proof on every run").
// Prints per TU the median times, their ratio and the peak RSS over all runs, then
// where extract's time goes (median per stage, from `extract --timings`; stages
// overlap: the preprocessor runs in the background while inputs are read), then
// `max ratio: R, max rss: M MB`. --timings also prints the full stage list of each
// TU's last run; --check exits 1 when a target is missed (ratio <= 1.5 on every TU,
// peak RSS <= 400 MB on tcp_input).
//
// Needs `npm run build` (dist/) and the test bed (`npm run test:kernel`, or
// scripts/testbed/setup-kernel.sh + kallsyms.sh); the TUs are compiled with
// scripts/testbed/prepare-build.sh, which is idempotent (instant when done).
// Exit: 0 done, 1 a run failed (or --check missed a target), 2 no test bed / no dist.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

let scratch;
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const TUS = [
  { name: "cmdline", file: "fs/proc/cmdline.c" },
  { name: "fork", file: "kernel/fork.c" },
  { name: "memory", file: "mm/memory.c" },
  { name: "tcp_input", file: "net/ipv4/tcp_input.c" },
];
const TARGET_RATIO = 1.5;
const TARGET_RSS_MB = { tcp_input: 400 };

const args = process.argv.slice(2);
const flag = (f) => args.includes(f);
const value = (f, dflt) => {
  const i = args.indexOf(f);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const runs = Number(value("--runs", "5"));
if (!Number.isInteger(runs) || runs < 1) fail(2, "--runs wants a positive integer");
const only = value("--only", "") ? new Set(value("--only", "").split(",")) : undefined;
const tus = TUS.filter((t) => !only || only.has(t.name));
if (tus.length === 0) fail(2, `--only: none of ${TUS.map((t) => t.name).join(", ")}`);

// --- prerequisites -------------------------------------------------------------
const main = join(REPO, "dist/cli/main.js");
if (!existsSync(main)) fail(2, "dist/ is missing: run `npm run build` first");
if (newestMtime(join(REPO, "src")) > statSync(main).mtimeMs) process.stderr.write("bench: warning: src/ is newer than dist/; run `npm run build` to measure the current code\n");

const env = testbedEnv();
const missing = ["SRC", "BUILD", "SYMBOLS", "SYMVERS"].filter((k) => !env[k] || !existsSync(env[k]));
if (missing.length || !existsSync(join(env.SRC ?? "", "Makefile"))) {
  fail(2, [
    `the real-kernel test bed is missing (${missing.length ? missing.map((k) => `${k}=${env[k] ?? "?"}`).join(", ") : `no ${env.SRC}/Makefile`}).`,
    "Make it with `npm run test:kernel` (downloads Debian's 6.1 packages, ~2.5 GB, and boots once for kallsyms),",
    "or step by step: scripts/testbed/setup-kernel.sh && scripts/testbed/kallsyms.sh",
  ].join("\n"));
}
const prep = spawnSync("bash", [join(REPO, "scripts/testbed/prepare-build.sh"), ...tus.map((t) => t.file)], { cwd: REPO, encoding: "utf8", stdio: ["ignore", "inherit", "pipe"] });
if (prep.status !== 0) fail(2, `scripts/testbed/prepare-build.sh ${tus.map((t) => t.file).join(" ")} failed:\n${prep.stderr}`);

const { readCompileCommand, preprocessArgv } = await import(join(REPO, "dist/kbuild/compile-command.js"));
const { DiagnosticSink } = await import(join(REPO, "dist/diagnostics/diagnostic.js"));
const { entriesBuilding } = await import(join(REPO, "dist/kbuild/header-cache.js"));
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

// --- runs ----------------------------------------------------------------------
scratch = mkdtempSync(join(tmpdir(), "klp-bench-"));
const rows = [];
let failed = false;
try {
  for (const tu of tus) {
    const cmd = readCompileCommand(env.BUILD, tu.file, new DiagnosticSink());
    if (!cmd) fail(2, `no compile command for ${tu.file} in ${env.BUILD}`);
    const src = join(env.SRC, tu.file);
    const gccArgv = preprocessArgv(cmd, src, src).filter((a) => a !== "-dD" && a !== "-dI");
    const extractArgv = [
      join(REPO, "bin/klp-ccp"), "extract", "-q", "--force-overwrite",
      "--patch", join(REPO, "scripts/bench-fixes", `${tu.name}.patch`),
      "--src", env.SRC, "--build", env.BUILD, "--symbols", env.SYMBOLS, "--symvers", env.SYMVERS,
      "--out", join(scratch, tu.name),
      ...(flag("--no-cache") ? ["--no-cache"] : ["--cache-dir", join(scratch, `cache-${tu.name}`)]),
      // The cost of the whole-module compile and equivalence check: compare with runs without them.
      ...(flag("--no-verify") ? ["--no-verify"] : []),
    ];
    const gcc = [];
    const ext = [];
    const stages = [];
    let rss = 0;
    let timings = "";
    for (let i = 0; i < runs; i++) {
      const g = await timed(gccArgv, cmd.cwd, false);
      if (g.code !== 0) fail(1, `gcc -E ${tu.file} failed:\n${g.stderr}`);
      gcc.push(g.ms);
      const last = i === runs - 1 && flag("--timings");
      const e = await timed([...extractArgv, "--timings"], REPO, true);
      if (e.code !== 0) {
        process.stderr.write(`bench: extract ${tu.name} exited ${e.code}:\n${e.stderr}`);
        failed = true;
        break;
      }
      ext.push(e.ms);
      // The first run left gcc building the TU's PCH in the background: later runs measure the kept headers.
      if (i === 0) for (const t0 = Date.now(); entriesBuilding(join(scratch, `cache-${tu.name}`)) && Date.now() - t0 < 120_000; ) await new Promise((r) => setTimeout(r, 50));
      stages.push(stageTimes(e.stderr));
      rss = Math.max(rss, e.rssKb);
      if (last) timings = e.stderr;
    }
    if (ext.length < runs) continue;
    const row = { name: tu.name, file: tu.file, extract: median(ext), first: ext[0], gcc: median(gcc), rssMb: rss / 1024, stages: medianStages(stages) };
    row.ratio = row.extract / row.gcc;
    rows.push(row);
    printRow(row, rows.length === 1);
    if (timings) process.stdout.write(timings.replace(/^/gm, "    "));
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (rows.length === 0) process.exit(1);
printStages(rows);
const maxRatio = Math.max(...rows.map((r) => r.ratio));
const maxRss = Math.max(...rows.map((r) => r.rssMb));
process.stdout.write(`max ratio: ${maxRatio.toFixed(2)}, max rss: ${Math.round(maxRss)} MB\n`);
const missed = rows.filter((r) => r.ratio > TARGET_RATIO || r.rssMb > (TARGET_RSS_MB[r.name] ?? Infinity));
if (flag("--check") && missed.length) {
  process.stderr.write(`bench: targets missed (ratio <= ${TARGET_RATIO}, rss <= 400 MB on tcp_input) by: ${missed.map((r) => r.name).join(", ")}\n`);
  process.exit(1);
}
process.exit(failed ? 1 : 0);

// --- helpers -------------------------------------------------------------------
function printRow(r, header) {
  if (header) {
    process.stdout.write(`runs per TU: ${runs}; times are medians; rss is the peak over the runs; 1st run: extract with an empty cache (it stages the TU's headers)${flag("--no-cache") ? " (--no-cache: every run is)" : ""}\n`);
    process.stdout.write(`${"TU".padEnd(22)} ${"extract".padStart(9)} ${"gcc -E".padStart(9)} ${"ratio".padStart(6)} ${"peak rss".padStart(9)} ${"1st run".padStart(9)}\n`);
  }
  process.stdout.write(`${r.file.padEnd(22)} ${`${(r.extract / 1000).toFixed(2)} s`.padStart(9)} ${`${(r.gcc / 1000).toFixed(2)} s`.padStart(9)} ${r.ratio.toFixed(2).padStart(6)} ${`${Math.round(r.rssMb)} MB`.padStart(9)} ${`${(r.first / 1000).toFixed(2)} s`.padStart(9)}\n`);
}

/** `extract --timings` output (stderr) → stage → ms. */
function stageTimes(stderr) {
  const out = new Map();
  for (const m of stderr.matchAll(/^ {2}(\S.*?)\s+(\d+\.\d)$/gm)) out.set(m[1], Number(m[2]));
  return out;
}

function medianStages(list) {
  const names = [];
  for (const m of list) for (const k of m.keys()) if (!names.includes(k)) names.push(k);
  return new Map(names.map((n) => [n, median(list.map((m) => m.get(n) ?? 0))]));
}

function printStages(rows) {
  const names = [];
  for (const r of rows) for (const k of r.stages.keys()) if (!names.includes(k)) names.push(k);
  if (!names.length) return;
  process.stdout.write(`where extract's time goes (median ms per stage; stages overlap, see extract --timings):\n`);
  const w = Math.max(...names.map((n) => n.length)) + 2;
  process.stdout.write(`${"stage".padEnd(w)}${rows.map((r) => r.name.padStart(11)).join("")}\n`);
  for (const n of names) process.stdout.write(`${n.padEnd(w)}${rows.map((r) => (r.stages.get(n) ?? 0).toFixed(0).padStart(11)).join("")}\n`);
}

/** Runs argv to completion: wall time (ms) from spawn to exit, exit code, stderr, peak RSS (KiB) if asked. */
function timed(argv, cwd, measureRss) {
  return new Promise((done) => {
    const rssFile = join(scratch, "rss");
    const full = measureRss && TIME ? [TIME, "-f", "%M", "-o", rssFile, ...argv] : argv;
    const t0 = performance.now();
    const child = spawn(full[0], full.slice(1), { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    let hwm = 0;
    child.stderr.on("data", (d) => (stderr += d));
    const poll = measureRss && !TIME ? setInterval(() => (hwm = Math.max(hwm, vmHwm(child.pid))), 5) : undefined;
    child.on("close", (code) => {
      const ms = performance.now() - t0;
      if (poll) clearInterval(poll);
      let rssKb = hwm;
      if (measureRss && TIME && existsSync(rssFile)) {
        const lines = readFileSync(rssFile, "utf8").trim().split("\n");
        rssKb = Number(lines[lines.length - 1]) || 0;
        rmSync(rssFile);
      }
      done({ code, ms, stderr, rssKb });
    });
  });
}

function vmHwm(pid) {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function testbedEnv() {
  const r = spawnSync("bash", [join(REPO, "scripts/testbed/env.sh")], { encoding: "utf8" });
  const out = {};
  if (r.status !== 0) return out;
  for (const line of r.stdout.split("\n")) {
    const m = /^export (\w+)=(.*)$/.exec(line);
    // env.sh prints printf %q values: unquote the simple cases (test bed paths have no spaces).
    if (m) out[m[1]] = m[2].replace(/\\(.)/g, "$1").replace(/^'(.*)'$/, "$1");
  }
  return out;
}

function newestMtime(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

function fail(code, message) {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  process.stderr.write(`bench: ${message}\n`);
  process.exit(code);
}
