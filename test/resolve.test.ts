// Driver for the resolve stage: the free (file-scope) references of each
// function of a fixture, with locals, parameters and members filtered out;
// and, for the cases with a fix.patch, the functions each hunk changes
// (touchedFunctions) with its diagnostics.
import { describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DiagnosticSink } from "../src/diagnostics/diagnostic.js";
import { readPatch } from "../src/input/diff.js";
import { applyPatch } from "../src/kbuild/apply-patch.js";
import { parseSourceFile } from "../src/parse/source-file.js";
import { freeReferences } from "../src/resolve/free-references.js";
import { touchedFunctions } from "../src/resolve/touched.js";
import { macroDefinedFunctions } from "../src/resolve/macro-defined-functions.js";
import type { DefinedAt, DefinedAtLines } from "../src/resolve/generated-at.js";
import { FIXTURES, cases, expectGolden, json, read, readInputC, readKernelSource } from "./golden.js";

const isPatchCase = (name: string) => existsSync(join(FIXTURES, "resolve", name, "fix.patch"));

describe("resolve: free references", () => {
  for (const name of cases("resolve").filter((c) => !isPatchCase(c))) {
    it(name, () => {
      const sf = parseSourceFile("input.c", readInputC("resolve", name));
      const out: Record<string, string[]> = {};
      for (const item of sf.items) {
        if (item.kind !== "function" || !item.node) continue;
        out[item.name!] = [...new Set(freeReferences(item.node).map((r) => (r.namespace === "tag" ? `struct ${r.name}` : r.name)))].sort();
      }
      expectGolden(join(FIXTURES, "resolve", name, "expected.json"), json(out));
    });
  }
});

/** Applies a case's fix.patch to its real kernel file (source.txt) as extract does; the touched functions and diagnostics. */
function touched(name: string, patchText = read("resolve", name, "fix.patch")) {
  const rel = read("resolve", name, "source.txt").trim();
  const src = mkdtempSync(join(tmpdir(), "klp-ccp-touched-"));
  try {
    mkdirSync(dirname(join(src, rel)), { recursive: true });
    const original = readKernelSource(rel);
    writeFileSync(join(src, rel), original);
    const sink = new DiagnosticSink();
    const patch = readPatch("fix.patch", patchText, sink)!;
    const patched = applyPatch(patch, patchText, src, join(src, "work"), sink)!;
    const changed = touchedFunctions(patch.files[0]!, parseSourceFile(rel, patched.get(rel)!), parseSourceFile(rel, original), sink, undefined, definedAtOf(name));
    return { changed, diagnostics: sink.items };
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
}

/**
 * A case's defined-at.json: what the patched TU's line markers place at each line of the
 * file (line → functions and variables), as extract reads them from the preprocessed TU.
 */
function definedAtOf(name: string): DefinedAtLines | undefined {
  const file = join(FIXTURES, "resolve", name, "defined-at.json");
  if (!existsSync(file)) return undefined;
  const byLine = JSON.parse(read("resolve", name, "defined-at.json")) as Record<string, DefinedAt>;
  return (from, to) => {
    const out: DefinedAt = { functions: [], data: [] };
    for (let l = from; l <= to; l++) {
      out.functions.push(...(byLine[l]?.functions ?? []));
      out.data.push(...(byLine[l]?.data ?? []));
    }
    return out;
  };
}

describe("resolve: touched functions", () => {
  for (const name of cases("resolve").filter(isPatchCase)) {
    it(name, () => {
      expectGolden(join(FIXTURES, "resolve", name, "expected.json"), json(touched(name)));
    });
  }
  it("finds every SYSCALL_DEFINEn / COMPAT_SYSCALL_DEFINEn of kernel/sys.c, whatever tree-sitter made of it", () => {
    const text = readKernelSource("kernel/sys.c");
    const found = macroDefinedFunctions(parseSourceFile("kernel/sys.c", text));
    const lines = text.split("\n");
    const expected = lines.flatMap((l, i) => {
      const m = /^(COMPAT_)?SYSCALL_DEFINE[0-6]\((\w+)/.exec(l);
      return m ? [{ name: `${m[1] ? "__do_compat_sys_" : "__do_sys_"}${m[2]!}`, startLine: i + 1 }] : [];
    });
    expect(expected.length).toBe(46);
    expect(found.map((g) => ({ name: g.name, startLine: g.startLine }))).toEqual(expected);
    for (const g of found) expect(lines[g.endLine - 1]).toBe("}");
    const umask = found.find((g) => g.name === "__do_sys_umask")!;
    expect([umask.macro, umask.macroArg, umask.startLine, umask.endLine]).toEqual(["SYSCALL_DEFINE1", "umask", 1908, 1912]);
  });
  it("one body after #if alternatives of the head (kernel/fork.c, SYSCALL_DEFINEn(clone, ...)) is one call with all its heads", () => {
    // kernel/fork.c lines 2885-2921 of the Debian 6.1 tree.
    const excerpt = [
      "#ifdef __ARCH_WANT_SYS_CLONE",
      "#ifdef CONFIG_CLONE_BACKWARDS",
      "SYSCALL_DEFINE5(clone, unsigned long, clone_flags, unsigned long, newsp,",
      "\t\t int __user *, parent_tidptr,",
      "\t\t unsigned long, tls,",
      "\t\t int __user *, child_tidptr)",
      "#elif defined(CONFIG_CLONE_BACKWARDS2)",
      "SYSCALL_DEFINE5(clone, unsigned long, newsp, unsigned long, clone_flags,",
      "\t\t int __user *, parent_tidptr,",
      "\t\t int __user *, child_tidptr,",
      "\t\t unsigned long, tls)",
      "#elif defined(CONFIG_CLONE_BACKWARDS3)",
      "SYSCALL_DEFINE6(clone, unsigned long, clone_flags, unsigned long, newsp,",
      "\t\tint, stack_size,",
      "\t\tint __user *, parent_tidptr,",
      "\t\tint __user *, child_tidptr,",
      "\t\tunsigned long, tls)",
      "#else",
      "SYSCALL_DEFINE5(clone, unsigned long, clone_flags, unsigned long, newsp,",
      "\t\t int __user *, parent_tidptr,",
      "\t\t int __user *, child_tidptr,",
      "\t\t unsigned long, tls)",
      "#endif",
      "{",
      "\tstruct kernel_clone_args args = {",
      "\t\t.flags\t\t= (lower_32_bits(clone_flags) & ~CSIGNAL),",
      "\t\t.pidfd\t\t= parent_tidptr,",
      "\t\t.child_tid\t= child_tidptr,",
      "\t\t.parent_tid\t= parent_tidptr,",
      "\t\t.exit_signal\t= (lower_32_bits(clone_flags) & CSIGNAL),",
      "\t\t.stack\t\t= newsp,",
      "\t\t.tls\t\t= tls,",
      "\t};",
      "",
      "\treturn kernel_clone(&args);",
      "}",
      "#endif",
      "",
    ].join("\n");
    const found = macroDefinedFunctions(parseSourceFile("kernel/fork.c", excerpt));
    // One call from its opening #if to the body: every head line maps to it, and it is copied whole.
    expect(found.map((g) => [g.name, g.macro, g.startLine, g.endLine])).toEqual([["__do_sys_clone", "SYSCALL_DEFINE5", 2, 36]]);
  });
  it("a comment-only change in a SYSCALL_DEFINEn body is no change", () => {
    const patch = read("resolve", "syscall-define-body", "fix.patch").replace("mask & S_IRWXUGO & ~S_IWOTH);", "mask & S_IRWXUGO); /* no group write */");
    expect(touched("syscall-define-body", patch)).toEqual({ changed: [], diagnostics: [] });
  });
});
