import { cpus } from "node:os";
import { resolve } from "node:path";
import { Command } from "commander";
import { DiagnosticSink } from "../diagnostics/diagnostic.js";
import { printDiagnostic } from "./print.js";
import { prepareBuild } from "../kbuild/prepare.js";
import { EXIT_OK, exitCodeFor } from "./exit-codes.js";

/** `klp-ccp prepare`: make a kbuild tree ready for extract (compile command + IPA dump per TU). */
export function prepareCommand(setExit: (code: number) => void): Command {
  return new Command("prepare")
    .description("configure a kbuild output tree if needed and compile TUs exactly as the kernel build does, plus -fdump-ipa-clones")
    .requiredOption("--src <dir>", "kernel source tree")
    .requiredOption("--build <dir>", "kbuild output tree (make O=...), created if missing")
    .option("--config <file>", "the kernel's .config, when --build has none")
    .option("--cc <compiler>", "compiler for CC and HOSTCC (default: the one CONFIG_CC_VERSION_TEXT names)")
    .option("--make-arg <arg>", "an extra make argument, e.g. KERNELRELEASE=6.1.0-56-amd64 (repeatable)", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option("-q, --quiet", "no progress messages")
    .argument("<file.c...>", "TUs relative to --src, e.g. fs/proc/cmdline.c")
    .action((files: string[], flags: { src: string; build: string; config?: string; cc?: string; makeArg?: string[]; quiet?: boolean }) => {
      const sink = new DiagnosticSink();
      const progress = (m: string) => {
        if (!flags.quiet) process.stderr.write(`klp-ccp prepare: ${m}\n`);
      };
      const result = prepareBuild({
        src: resolve(flags.src), build: resolve(flags.build), files, jobs: cpus().length, progress, sink, makeArgs: flags.makeArg ?? [],
        ...(flags.config ? { config: resolve(flags.config) } : {}), ...(flags.cc ? { cc: flags.cc } : {}),
      });
      for (const d of sink.items) printDiagnostic(d);
      if (!result) return setExit(exitCodeFor(sink.items) || 2);
      for (const tu of result) process.stdout.write(`${tu.file}: ${tu.compiled ? "compiled" : "up to date"}; dump ${tu.dump}\n`);
      setExit(EXIT_OK);
    });
}
