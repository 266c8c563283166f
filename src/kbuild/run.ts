import { spawnSync } from "node:child_process";

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell; a missing program is status 127. */
export function run(argv: string[], cwd: string, input?: string | Buffer): RunResult {
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd, encoding: "utf8", maxBuffer: 512 * 1024 * 1024, ...(input !== undefined ? { input } : {}) });
  if (r.error) return { status: 127, stdout: "", stderr: String(r.error.message) };
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}
