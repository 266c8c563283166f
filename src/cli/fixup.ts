import { Command, Option } from "commander";
import { chmodSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { DiagnosticSink, StageFailed } from "../diagnostics/diagnostic.js";
import { printDiagnostic } from "./print.js";
import { checkExports, undefinedSymbols } from "../elf/exports.js";
import { analyseModule, fixupModule, isFixedUp, type KlpModule } from "../elf/klp-relocs.js";
import { readElf } from "../elf/read.js";
import { formatChanges, formatCheck, plural } from "../elf/summary.js";
import { readSymvers } from "../input/symvers.js";
import { EXIT_OK, exitCodeFor } from "./exit-codes.js";

interface FixupFlags {
  check?: boolean;
  output?: string;
  symvers?: string;
  quiet?: boolean;
}

/** `klp-ccp fixup MODULE.ko`: turn kbuild's .klp.sym references into the livepatch ELF format. */
export function fixupCommand(setExit: (code: number) => void): Command {
  return new Command("fixup")
    .description("rewrite a kbuild-built livepatch module's .klp.sym.* references into the Linux 6.1 livepatch ELF format")
    .argument("<module.ko>", "the module as kbuild built it (with KBUILD_MODPOST_WARN=1); rewritten in place unless -o")
    .addOption(new Option("--check", "only list the livepatch symbols and relocation sections; change nothing").conflicts("output"))
    .option("-o, --output <file>", "write the rewritten module here instead")
    .option("--symvers <file>", "check that every other undefined symbol is exported by this Module.symvers")
    .option("-q, --quiet", "print only errors")
    .action((module: string, flags: FixupFlags) => setExit(runFixup(module, flags)));
}

function runFixup(module: string, flags: FixupFlags): number {
  const sink = new DiagnosticSink();
  const say = (text: string) => {
    if (!flags.quiet) process.stdout.write(text);
  };
  try {
    const buf = readInput(module, "module", sink);
    const mod = analyseModule(buf, readElf(buf, module, sink), sink);
    const exportsChecked = flags.symvers ? checkSymvers(mod, flags.symvers, sink) : false;
    if (flags.check) {
      process.stdout.write(formatCheck(mod));
      return finish(sink, flags);
    }
    if (sink.hasErrors) return finish(sink, flags);
    const out = flags.output ?? module;
    const left = undefinedSymbols(mod).length;
    const leftNote = `undefined symbols left for the module loader: ${left}${left === 0 ? "" : exportsChecked ? ", all exported" : " (not checked: pass --symvers Module.symvers)"}\n`;
    if (isFixedUp(mod)) {
      const why = mod.symbols.size === 0 ? "no .klp.sym symbols" : "already in the livepatch ELF format";
      // Nothing to change; with -o the output still has to exist.
      const copy = resolve(out) !== resolve(module);
      if (copy && !writeAtomic(out, buf, module, sink)) return finish(sink, flags);
      say(`${module}: ${why}, nothing changed${copy ? ` (copied to ${out})` : ""}\n${leftNote}`);
      return finish(sink, flags);
    }
    const result = fixupModule(buf, mod, sink);
    if (!result.output || !writeAtomic(out, result.output, module, sink)) return finish(sink, flags);
    say(formatChanges(mod, result));
    say(`wrote ${out}: ${plural(result.marked.length, "livepatch symbol")} marked, ${plural(result.moved.length, "livepatch relocation section")} added, ${result.sectionCount} sections\n${leftNote}`);
  } catch (e) {
    if (!(e instanceof StageFailed)) throw e;
  }
  return finish(sink, flags);
}

/** Reads Module.symvers and reports unexported undefined symbols; true when it was read. */
function checkSymvers(mod: KlpModule, file: string, sink: DiagnosticSink): boolean {
  const table = readSymvers(file, readInput(file, "Module.symvers", sink), sink);
  if (sink.hasErrors) throw new StageFailed("symvers");
  checkExports(mod, table, file, sink);
  return true;
}

function readInput(file: string, what: string, sink: DiagnosticSink): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    sink.report(code === "ENOENT"
      ? { code: "KLP-E004", severity: "error", message: `${what} ${file} does not exist` }
      : { code: "KLP-E037", severity: "error", message: `cannot read ${what} ${file}: ${code ?? String(e)}`, location: { file, line: 0, column: 0 } });
    throw new StageFailed("read");
  }
}

/**
 * Writes `data` to a temporary file next to `out` and renames it into place,
 * so a failed run never leaves a half-written module; keeps the input's mode.
 */
function writeAtomic(out: string, data: Buffer, input: string, sink: DiagnosticSink): boolean {
  const tmp = join(dirname(out), `.${basename(out)}.klp-ccp-tmp-${process.pid}`);
  try {
    writeFileSync(tmp, data);
    chmodSync(tmp, statSync(input).mode & 0o7777);
    renameSync(tmp, out);
    return true;
  } catch (e) {
    rmSync(tmp, { force: true });
    sink.report({ code: "KLP-E037", severity: "error", message: `cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, location: { file: out, line: 0, column: 0 } });
    return false;
  }
}

function finish(sink: DiagnosticSink, flags: FixupFlags): number {
  for (const d of sink.items) {
    if (flags.quiet && d.severity !== "error") continue;
    printDiagnostic(d);
  }
  return sink.hasErrors ? exitCodeFor(sink.items) : EXIT_OK;
}
