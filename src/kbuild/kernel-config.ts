import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { KernelConfig } from "../model/kernel-config.js";

/** The options of `BUILD/.config` klp-ccp acts on; undefined when the build has no .config (a --preprocessed run). */
export function readKernelConfig(build: string): KernelConfig | undefined {
  const file = join(build, ".config");
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, "utf8").split("\n");
  const ibt = lines.findIndex((l) => l.trim() === "CONFIG_X86_KERNEL_IBT=y");
  return { file, ...(ibt >= 0 ? { ibtLine: ibt + 1 } : {}) };
}
