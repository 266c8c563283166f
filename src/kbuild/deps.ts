import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";

/** The files of a make-style dependency list (`x.o: a.c b.h \` ...), but `compiled` itself; undefined when unreadable. */
export function readDeps(depFile: string, cwd: string, compiled: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(depFile, "utf8");
  } catch {
    return undefined;
  }
  const body = text.replace(/\\\n/g, " ").replace(/^[^:]*:/, "");
  const files = body.split(/(?<!\\)\s+/).filter(Boolean).map((f) => f.replace(/\\ /g, " "));
  return [...new Set(files.map((f) => (isAbsolute(f) ? f : resolve(cwd, f))))].filter((f) => f !== compiled);
}
