import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import { readCompileCommand } from "./compile-command.js";
import { run } from "./run.js";

export interface PrepareOptions {
  src: string;
  build: string;
  /** .config to start from when the build tree has none. */
  config?: string;
  /** Compiler for kbuild's CC and HOSTCC; default: the one .config was made with. */
  cc?: string;
  /** Extra `make` arguments (e.g. KERNELRELEASE=...). */
  makeArgs: string[];
  files: string[];
  jobs: number;
  /** Called before each step that takes more than a second. */
  progress: (message: string) => void;
  sink: DiagnosticSink;
}

/** What prepare produced for one TU. */
export interface PreparedTu {
  file: string;
  /** `.<obj>.cmd`, the IPA dump and the preprocessed TU (kbuild's own `make FILE.i`). */
  cmd: string;
  dump: string;
  compiled: boolean;
}

/**
 * Makes a kbuild output tree ready for extract: configures it (olddefconfig)
 * when it has no .config, runs `make prepare` once, and compiles each TU the
 * way the kernel build does plus -fdump-ipa-clones, which leaves the compile
 * command (.<obj>.cmd) and the IPA dump next to the object. Idempotent: a TU
 * whose object is newer than its source and was built with the dump is skipped.
 */
export function prepareBuild(o: PrepareOptions): PreparedTu[] | undefined {
  const { sink } = o;
  // Everything checked before anything is made: a typo must not cost a `make prepare`.
  if (!existsSync(join(o.src, "Makefile"))) sink.report({ code: "KLP-E004", severity: "error", message: `--src ${o.src}: not a kernel source tree (no Makefile)`, hint: "pass the top of the kernel source tree" });
  if (existsSync(o.build) && !statSync(o.build).isDirectory()) sink.report({ code: "KLP-E004", severity: "error", message: `--build ${o.build}: not a directory`, hint: "pass a directory for the kbuild output tree (it is created if missing)" });
  if (o.config && !(existsSync(o.config) && statSync(o.config).isFile())) sink.report({ code: "KLP-E004", severity: "error", message: `--config ${o.config}: no such file`, hint: "pass the kernel's .config (for Debian: the linux-headers package's .config)" });
  for (const f of o.files) {
    const rel = f.replace(/^\.\//, "");
    if (!rel.endsWith(".c") || !existsSync(join(o.src, rel))) sink.report({ code: "KLP-E004", severity: "error", message: `${f}: no such .c file in ${o.src}`, hint: "name the TUs by their path in the source tree, e.g. fs/proc/cmdline.c" });
  }
  if (sink.hasErrors) return undefined;
  mkdirSync(o.build, { recursive: true });
  const dotConfig = join(o.build, ".config");
  if (!existsSync(dotConfig)) {
    if (!o.config) {
      sink.report({ code: "KLP-E005", severity: "error", message: `${o.build} has no .config`, hint: "pass --config with the kernel's .config (for Debian: the linux-headers package's .config)" });
      return undefined;
    }
    copyFileSync(o.config, dotConfig);
    o.progress(`configuring ${o.build} (make olddefconfig)`);
    // A failed configuration must not look configured to the next run.
    if (!make(o, ["olddefconfig"], "olddefconfig")) {
      rmSync(dotConfig, { force: true });
      return undefined;
    }
  }
  const cc = o.cc ?? compilerOf(readFileSync(dotConfig, "utf8"));
  const stamp = join(o.build, ".klp-ccp-prepared");
  if (!existsSync(stamp)) {
    o.progress("make prepare (generated headers, objtool; 20-60 s once)");
    if (!make(o, [`-j${o.jobs}`, "prepare"], "prepare", cc)) return undefined;
    writeFileSync(stamp, "");
  }
  const out: PreparedTu[] = [];
  for (const raw of o.files) {
    const file = raw.replace(/^\.\//, "");
    if (!file.endsWith(".c") || !existsSync(join(o.src, file))) {
      sink.report({ code: "KLP-E004", severity: "error", message: `${file}: not a .c file of ${o.src}` });
      return undefined;
    }
    const obj = file.replace(/\.c$/, ".o");
    const dump = join(o.build, `${file}.000i.ipa-clones`);
    const cmd = readCompileCommand(o.build, file, { report: () => undefined } as unknown as DiagnosticSink);
    const fresh = cmd && existsSync(dump) && existsSync(join(o.build, obj)) && statSync(join(o.build, obj)).mtimeMs >= statSync(join(o.src, file)).mtimeMs && cmd.argv.includes("-fdump-ipa-clones");
    if (!fresh) {
      rmSync(join(o.build, obj), { force: true });
      rmSync(dump, { force: true });
      o.progress(`compiling ${file} with -fdump-ipa-clones`);
      if (!make(o, ["KCFLAGS=-fdump-ipa-clones", obj], `compiling ${file} (is it enabled in this .config?)`, cc)) return undefined;
      if (!existsSync(dump)) {
        sink.report({ code: "KLP-E005", severity: "error", message: `compiling ${file} left no ${dump}`, hint: "the compiler must be gcc (-fdump-ipa-clones)" });
        return undefined;
      }
    }
    out.push({ file, cmd: join(o.build, obj.replace(/[^/]+$/, (b) => `.${b}.cmd`)), dump, compiled: !fresh });
  }
  return out;
}

function make(o: PrepareOptions, targets: string[], what: string, cc?: string): boolean {
  const vars = cc ? [`CC=${cc}`, `HOSTCC=${cc}`] : [];
  const r = run(["make", "-C", o.src, `O=${o.build}`, ...vars, ...o.makeArgs, ...targets], o.src);
  if (r.status === 0) return true;
  const tail = (r.stdout + r.stderr).trim().split("\n").slice(-15).join("\n  ");
  o.sink.report({ code: "KLP-E005", severity: "error", message: `make ${what} failed:\n  ${tail}`, hint: "check --src, --config and that the kernel's build dependencies are installed" });
  return false;
}

/** The compiler named by CONFIG_CC_VERSION_TEXT ("gcc-12 (Debian 12.2.0-14) 12.2.0" → gcc-12). */
export function compilerOf(config: string): string | undefined {
  const m = /^CONFIG_CC_VERSION_TEXT="([^ "]+)/m.exec(config);
  return m?.[1];
}
