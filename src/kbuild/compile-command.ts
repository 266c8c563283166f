import { existsSync, readFileSync, readdirSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { basename, dirname, join } from "node:path";
import { parse as shellParse } from "shell-quote";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { CompileCommand } from "../model/input.js";

/**
 * Finds the command kbuild used to compile `relPath` (e.g. fs/proc/meminfo.c)
 * in the build tree: `BUILD/fs/proc/.meminfo.o.cmd`, whose first line is
 * `cmd_fs/proc/meminfo.o := gcc ... ; objtool ...` (`savedcmd_` since 6.2).
 */
export function readCompileCommand(build: string, relPath: string, sink: DiagnosticSink): CompileCommand | undefined {
  const obj = relPath.replace(/\.c$/, ".o");
  const cmdFile = join(build, dirname(obj), `.${basename(obj)}.cmd`);
  if (!existsSync(cmdFile)) {
    const includer = includingSibling(build, relPath);
    if (includer) {
      sink.report({
        code: "KLP-E020",
        severity: "error",
        message: `${relPath} is not compiled on its own: ${includer} #includes it (one TU), which klp-ccp does not support yet`,
        location: { file: relPath, line: 0, column: 0 },
        hint: `patch ${includer}'s TU by hand, or wait for support of included .c files`,
      });
      return undefined;
    }
    sink.report({
      code: "KLP-E005",
      severity: "error",
      message: `no compile command for ${relPath}: ${cmdFile} does not exist`,
      location: { file: relPath, line: 0, column: 0 },
      hint: `compile it once in the build tree: make O=${build} ${obj} (see README, test bed)`,
    });
    return undefined;
  }
  const first = readFileSync(cmdFile, "utf8").split("\n")[0] ?? "";
  const m = /^(?:saved)?cmd_\S+ := (.*)$/.exec(first);
  if (!m) {
    sink.report({ code: "KLP-E005", severity: "error", message: `${cmdFile} has no cmd_ line`, location: { file: cmdFile, line: 1, column: 1 } });
    return undefined;
  }
  // kbuild writes the command Make-escaped: `$$` for `$`, `$(pound)` for `#`.
  const text = m[1]!.replace(/\$\(pound\)/g, "#").replace(/\$\$/g, "$");
  const argv: string[] = [];
  for (const tok of shellParse(text)) {
    if (typeof tok !== "string") break; // `;` starts the objtool step
    argv.push(tok);
  }
  return { ...commandFromArgv(argv, build), source: cmdFile };
}

/** A compile command given as argv (after `--`, or from compile_commands.json). */
export function commandFromArgv(argv: string[], cwd: string, source = "command line"): CompileCommand {
  const modDefine = argv.find((a) => a.startsWith("-DKBUILD_MODNAME="));
  const modName = modDefine ? modDefine.replace(/^-DKBUILD_MODNAME=/, "").replace(/"/g, "") : undefined;
  return { cwd, argv, source, isModule: argv.includes("-DMODULE"), ...(modName ? { modName } : {}) };
}

/**
 * The entry of a compile_commands.json (clang tooling's format, also what
 * kbuild's gen_compile_commands.py writes) for `file`: `arguments` or a
 * shell-quoted `command`, run in `directory`.
 */
export function findInCompileCommands(jsonFile: string, file: string | undefined, sink: DiagnosticSink): CompileCommand | undefined {
  const fail = (message: string) => {
    sink.report({ code: "KLP-E005", severity: "error", message, location: { file: jsonFile, line: 0, column: 0 }, hint: "give --file with a .c file listed in the compile_commands.json" });
    return undefined;
  };
  if (!existsSync(jsonFile)) return fail(`${jsonFile}: no such file`);
  if (!file) return fail("--compile-commands needs --file FILE.c");
  let entries: Array<{ directory?: string; file?: string; command?: string; arguments?: string[] }>;
  try {
    entries = JSON.parse(readFileSync(jsonFile, "utf8"));
  } catch (e) {
    return fail(`not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(entries)) return fail("expected a list of {directory, file, command|arguments}");
  const want = resolve(file);
  for (const e of entries) {
    const dir = e.directory ?? ".";
    if (!e.file || resolve(dir, e.file) !== want) continue;
    const argv = e.arguments ?? shellParse(e.command ?? "").filter((t): t is string => typeof t === "string");
    if (argv.length === 0) return fail(`the entry for ${file} has no command`);
    return commandFromArgv(argv, isAbsolute(dir) ? dir : resolve(dir), jsonFile);
  }
  return fail(`${file} is not listed in ${jsonFile}`);
}

/**
 * Turns a compile command into one that preprocesses `input` instead of the
 * original file: drop -c/-o/dependency output and dump flags, add -E -dD -dI (so
 * live macro definitions and processed includes stay visible), and search the original file's
 * directory for quoted includes since `input` lives elsewhere.
 */
export function preprocessArgv(cmd: CompileCommand, originalFile: string, input: string): string[] {
  const out: string[] = [];
  const args = cmd.argv;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-c") continue;
    if (a === "-o") {
      i++;
      continue;
    }
    if (a.startsWith("-Wp,-MMD") || a.startsWith("-Wp,-MD") || a.startsWith("-fdump-")) continue;
    if (a === originalFile || a.endsWith(`/${basename(originalFile)}`) && sameFile(a, originalFile, cmd.cwd)) {
      continue;
    }
    out.push(a);
  }
  return [args[0]!, ...out, "-E", "-dD", "-dI", "-iquote", dirname(originalFile), input];
}

function sameFile(a: string, b: string, cwd: string): boolean {
  const abs = a.startsWith("/") ? a : join(cwd, a);
  return abs === b;
}

/**
 * A .c file of the same directory that `#include`s this one (kernel/sched/build_utility.c
 * includes stats.c): the file is part of that TU, never compiled alone. Read from the
 * source tree beside the build tree's Makefile (`source` symlink) or the build's own copy.
 */
function includingSibling(build: string, relPath: string): string | undefined {
  const srcLink = join(build, "source");
  const src = existsSync(srcLink) ? srcLink : build;
  const dir = join(src, dirname(relPath));
  if (!existsSync(dir)) return undefined;
  const needle = new RegExp(`^[ \\t]*#[ \\t]*include[ \\t]+"${basename(relPath).replace(/\./g, "\\.")}"`, "m");
  for (const f of readdirSync(dir)) {
    if (!f.endsWith(".c") || f === basename(relPath)) continue;
    try {
      if (needle.test(readFileSync(join(dir, f), "utf8"))) return join(dirname(relPath), f);
    } catch {
      // unreadable: not the includer
    }
  }
  return undefined;
}
