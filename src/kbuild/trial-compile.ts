import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { run } from "./run.js";

/** What a trial compile of generated C found. */
export interface TrialResult {
  ok: boolean;
  /** Files (absolute) that gcc reported errors in, in order of appearance. */
  errorFiles: string[];
  /** The first error line, for messages. */
  firstError: string;
}

/**
 * Compiles generated C with the TU's own command as a module would be built
 * (-DMODULE), syntax only: cheap (~1 s), and it tells which header breaks
 * under MODULE before the user's kbuild run does.
 */
export function trialCompile(compile: { argv: string[]; cwd: string }, cText: string): TrialResult {
  const dir = mkdtempSync(join(tmpdir(), "klp-ccp-trial-"));
  try {
    const file = join(dir, "livepatch.c");
    writeFileSync(file, cText);
    const args: string[] = [];
    const argv = compile.argv;
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === "-o") {
        i++;
        continue;
      }
      if (a === "-c" || a.startsWith("-Wp,-MMD") || a.startsWith("-Wp,-MD") || a.startsWith("-fdump-") || /\.c$/.test(a)) continue;
      if (a.startsWith("-DKBUILD_MODNAME=") || a.startsWith("-DKBUILD_MODFILE=") || a.startsWith("-D__KBUILD_MODNAME=")) continue;
      args.push(a);
    }
    const r = run([argv[0]!, ...args, "-DMODULE", "-DKBUILD_MODNAME=\"klp_ccp_trial\"", "-D__KBUILD_MODNAME=kmod_klp_ccp_trial", "-fsyntax-only", file], compile.cwd);
    const errorFiles: string[] = [];
    let firstError = "";
    for (const line of r.stderr.split("\n")) {
      const m = /^(.+?):\d+:\d+: (?:fatal )?error: /.exec(line);
      if (!m) continue;
      firstError ||= line.replace(file, "<generated>");
      const path = isAbsolute(m[1]!) ? m[1]! : resolve(compile.cwd, m[1]!);
      if (!errorFiles.includes(path)) errorFiles.push(path);
    }
    return { ok: r.status === 0, errorFiles, firstError: firstError || r.stderr.trim().split("\n")[0] || "" };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
