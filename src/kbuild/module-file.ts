import { existsSync, readFileSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";

/**
 * The `.ko` of module `name` in a modules tree (/lib/modules/RELEASE):
 * from its modules.dep when there is one, else by walking kernel/ and
 * updates/. Module names use `_` where file names may use `-`.
 */
export function findModuleFile(modulesDir: string, name: string): string | undefined {
  const norm = (f: string) => basename(f).replace(/\.ko(\.(xz|zst|gz))?$/, "").replace(/-/g, "_");
  const dep = join(modulesDir, "modules.dep");
  if (existsSync(dep)) {
    for (const line of readFileSync(dep, "utf8").split("\n")) {
      const path = line.slice(0, line.indexOf(":"));
      if (path && norm(path) === name) return existsSync(join(modulesDir, path)) ? join(modulesDir, path) : undefined;
    }
    return undefined;
  }
  const walk = (dir: string, depth: number): string | undefined => {
    if (depth > 12 || !existsSync(dir)) return undefined;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        const hit = walk(p, depth + 1);
        if (hit) return hit;
      } else if (/\.ko(\.(xz|zst|gz))?$/.test(e.name) && norm(e.name) === name) return p;
    }
    return undefined;
  };
  return walk(join(modulesDir, "kernel"), 0) ?? walk(join(modulesDir, "updates"), 0);
}
