import { readFileSync, readdirSync, realpathSync } from "node:fs";
import { isAbsolute, join, normalize, relative } from "node:path";

export interface HeaderUsersOptions {
  /** Kernel source tree (the headers are relative to it). */
  src: string;
  /** kbuild output tree whose `.<obj>.o.cmd` files are read. */
  build: string;
  /** Headers, relative to `src` (e.g. include/linux/mm.h, fs/proc/internal.h). */
  headers: string[];
}

/** Which compiled TUs of a build tree read which headers. */
export interface HeaderUsers {
  /** Per header (as given), the TUs (.c paths relative to `src`) whose recorded dependencies list it, sorted. */
  users: Map<string, string[]>;
  /** How many `.o.cmd` files were looked at. */
  scanned: number;
}

/**
 * Finds the TUs that include each header, from what kbuild recorded when it
 * compiled them: every `BUILD/<dir>/.<obj>.o.cmd` has a `source_<obj> := FILE.c`
 * line and a `deps_<obj> := \` list of every file the compiler read (absolute
 * paths, or relative ones such as `include/generated/autoconf.h`, and
 * `$(wildcard include/config/...)` entries, one `  PATH \` per line). Only
 * `.o.cmd` files are read, each searched for those lines as bytes (tens of
 * thousands in a full build: ~80 µs each); vmlinux's, modpost's (`.mod.o`),
 * assembly and host programs' (scripts/, tools/, no -D__KERNEL__) are skipped:
 * they are no TU a livepatch can replace.
 */
export function findHeaderUsers(o: HeaderUsersOptions): HeaderUsers {
  const srcs = [...new Set([o.src, realPath(o.src)])];
  // Each header as a line of the deps_ list could spell it: `  PATH \`.
  const lines = o.headers.map((h) => {
    const rel = normalize(h);
    return { header: h, forms: [...srcs.map((s) => join(s, rel)), rel, `./${rel}`].map((p) => Buffer.from(`\n  ${p} \\\n`)) };
  });
  const found = new Map<string, Set<string>>(o.headers.map((h) => [h, new Set<string>()]));
  let scanned = 0;
  for (const file of cmdFiles(o.build, "")) {
    scanned++;
    const buf = readFileSync(join(o.build, file));
    const hits = lines.filter((l) => l.forms.some((f) => buf.includes(f)));
    if (hits.length === 0) continue;
    const tu = kernelTuOf(buf, srcs, o.build);
    if (tu) for (const l of hits) found.get(l.header)!.add(tu);
  }
  return { users: new Map([...found].map(([h, tus]) => [h, [...tus].sort()])), scanned };
}

/** `.o.cmd` files under `dir` of the build tree, relative to it, without following symlinks. */
function* cmdFiles(build: string, dir: string): Generator<string> {
  let entries;
  try {
    entries = readdirSync(join(build, dir), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (!dir && (e.name === "scripts" || e.name === "tools")) continue;
      yield* cmdFiles(build, rel);
    } else if (e.isFile() && e.name.startsWith(".") && e.name.endsWith(".o.cmd") && !e.name.endsWith(".mod.o.cmd") && !e.name.startsWith(".vmlinux")) {
      yield rel;
    }
  }
}

/**
 * The .c file a .cmd file compiled for the kernel (`source_<obj> := FILE.c`,
 * a command with -D__KERNEL__), relative to the source tree; undefined for
 * assembly, host programs and link steps.
 */
function kernelTuOf(buf: Buffer, srcs: string[], build: string): string | undefined {
  const kernel = buf.indexOf("-D__KERNEL__");
  if (kernel < 0 || kernel > buf.indexOf("\n")) return undefined;
  const at = buf.indexOf("\nsource_");
  if (at < 0) return undefined;
  const end = buf.indexOf("\n", at + 1);
  const source = /^source_\S+ := (.+)$/.exec(buf.toString("utf8", at + 1, end < 0 ? buf.length : end))?.[1]?.trim();
  return source?.endsWith(".c") ? sourceRelative(source, srcs, build) : undefined;
}

/** A TU's source path relative to the source tree (or, for a generated file, to the build tree). */
function sourceRelative(source: string, srcs: string[], build: string): string {
  if (!isAbsolute(source)) return normalize(source);
  for (const s of srcs) if (source.startsWith(`${s}/`)) return relative(s, source);
  return source.startsWith(`${build}/`) ? relative(build, source) : source;
}

function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
