import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { unreadableReason } from "../util/readable.js";
import { EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, EXIT_UNSAFE } from "./exit-codes.js";

/** One kernel build of kernels.json; paths relative to the file. */
interface KernelEntry {
  id: string;
  src: string;
  build?: string;
  symbols: string;
  symvers: string;
  ipaClones?: string;
  preprocessed?: string;
  /** The kernel's modules tree (extract --modules). */
  modules?: string;
  /** This kernel's --externalize, over the command line's (klp-reloc for an IBT kernel among others). */
  externalize?: "kallsyms" | "klp-reloc";
}

interface KernelResult {
  id: string;
  status: "ok" | "failed";
  exit: number;
  patched: string[];
  externalized: number;
  reason: string;
}

const BIN = fileURLToPath(new URL("../../bin/klp-ccp", import.meta.url));

/**
 * `extract --kernels kernels.json --out DIR`: one livepatch per kernel build
 * in DIR/<id>/, extracted in parallel (one child process per kernel, as many
 * at once as there are cores). A failing kernel does not stop the others;
 * the summary table says why it failed.
 */
export async function runKernels(kernelsFile: string, patch: string, outDir: string, extra: string[], json: boolean): Promise<number> {
  const entries = readKernels(kernelsFile);
  if (typeof entries === "string") {
    process.stderr.write(`${kernelsFile}: error KLP-E019: ${entries}\n  hint: kernels.json is a list of {"id", "src", "build", "symbols", "symvers", ["ipaClones"], ["preprocessed"], ["modules"], ["externalize"]}\n`);
    return EXIT_BAD_INPUT;
  }
  const queue = [...entries];
  const results: KernelResult[] = [];
  const worker = async () => {
    for (let k = queue.shift(); k; k = queue.shift()) results.push(await runOne(k, patch, join(outDir, k.id), extra));
  };
  await Promise.all(Array.from({ length: Math.min(cpus().length, entries.length) }, worker));
  results.sort((a, b) => entries.findIndex((e) => e.id === a.id) - entries.findIndex((e) => e.id === b.id));
  if (json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else process.stdout.write(table(results));
  return combinedExit(results.map((r) => r.exit));
}

/**
 * The exit code of the whole run from the kernels' own: the worst of them, where an
 * internal error (3, or a child killed by a signal) outranks bad input (2), which
 * outranks an unsafe patch (1). Any other code is bad input.
 */
export function combinedExit(exits: number[]): number {
  const rank = (code: number) => (code === EXIT_OK ? 0 : code === EXIT_UNSAFE ? 1 : code === EXIT_INTERNAL ? 3 : 2);
  const worst = Math.max(0, ...exits.map(rank));
  return [EXIT_OK, EXIT_UNSAFE, EXIT_BAD_INPUT, EXIT_INTERNAL][worst]!;
}

function readKernels(file: string): KernelEntry[] | string {
  const problem = unreadableReason(file, "file");
  if (problem) return problem;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    return `not JSON: ${(e as Error).message}`;
  }
  const list = Array.isArray(data) ? data : data && typeof data === "object" ? (data as { kernels?: unknown }).kernels : undefined;
  if (!Array.isArray(list) || list.length === 0) return "expected a non-empty list of kernels";
  const base = dirname(resolve(file));
  const abs = (p: unknown) => (typeof p === "string" ? (isAbsolute(p) ? p : join(base, p)) : undefined);
  const ids = new Set<string>();
  const out: KernelEntry[] = [];
  for (const [i, raw] of list.entries()) {
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) return `kernel #${i + 1}: expected an object {"id", "src", "build", "symbols", "symvers", ...}`;
    const k = raw as Record<string, unknown>;
    // The id names the output directory DIR/<id>: "." and ".." would write outside it.
    if (typeof k.id !== "string" || !/^[\w.-]+$/.test(k.id) || /^\.+$/.test(k.id)) return `kernel #${i + 1}: "id" must be a word (letters, digits, . _ -, not only dots)`;
    const missing = ["src", "symbols", "symvers"].filter((key) => typeof k[key] !== "string");
    if (typeof k.build !== "string" && typeof k.preprocessed !== "string") missing.push("build");
    if (missing.length) return `kernel #${i + 1} (${k.id}): missing ${missing.map((m) => `"${m}"`).join(", ")}`;
    if (ids.has(k.id)) return `kernel id ${k.id} is used twice`;
    if (k.externalize !== undefined && k.externalize !== "kallsyms" && k.externalize !== "klp-reloc") return `kernel #${i + 1} (${k.id}): "externalize" must be "kallsyms" or "klp-reloc"`;
    ids.add(k.id);
    const e: KernelEntry = { id: k.id, src: abs(k.src) ?? "", symbols: abs(k.symbols) ?? "", symvers: abs(k.symvers) ?? "" };
    for (const key of ["build", "ipaClones", "preprocessed", "modules"] as const) {
      const v = abs(k[key]);
      if (v) e[key] = v;
    }
    if (k.externalize === "kallsyms" || k.externalize === "klp-reloc") e.externalize = k.externalize;
    out.push(e);
  }
  return out;
}

function runOne(k: KernelEntry, patch: string, out: string, extra: string[]): Promise<KernelResult> {
  const args = [BIN, "extract", "--json", "--patch", patch, "--src", k.src, "--symbols", k.symbols, "--symvers", k.symvers, "--out", out, ...extra];
  if (k.build) args.push("--build", k.build);
  if (k.ipaClones) args.push("--ipa-clones", k.ipaClones);
  if (k.preprocessed) args.push("--preprocessed", k.preprocessed);
  if (k.modules) args.push("--modules", k.modules);
  // After the shared options: commander keeps an option's last value.
  if (k.externalize) args.push("--externalize", k.externalize);
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => {
      // Killed by a signal: not the input's fault.
      const exit = code ?? EXIT_INTERNAL;
      let report: { patched?: Array<{ function: string; sympos: number }>; externalized?: unknown[] } = {};
      try {
        report = JSON.parse(stdout);
      } catch {
        /* a failed run may print nothing on stdout */
      }
      const firstError = stderr.split("\n").find((l) => /\berror\b/.test(l)) ?? stderr.trim().split("\n")[0] ?? "";
      resolvePromise({
        id: k.id,
        status: exit === 0 ? "ok" : "failed",
        exit,
        patched: (report.patched ?? []).map((p) => (p.sympos ? `${p.function},${p.sympos}` : p.function)),
        externalized: report.externalized?.length ?? 0,
        reason: exit === 0 ? "" : firstError.trim(),
      });
    });
  });
}

function table(results: KernelResult[]): string {
  const rows = [["kernel", "patched functions", "externalized", "status"], ...results.map((r) => [r.id, r.patched.join(" ") || "-", String(r.externalized), r.status === "ok" ? "ok" : `FAILED (exit ${r.exit}): ${r.reason}`])];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  return `${rows.map((r) => r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell)).join(" | ")).join("\n")}\n`;
}
