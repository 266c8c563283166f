// Driver for copying system calls (decide/syscall-copy): a SYSCALL_DEFINEn /
// COMPAT_SYSCALL_DEFINEn call of real kernel/sys.c becomes KLPP_SYSCALL_DEFINEn
// with the body's names renamed as any copied code's, and the macro's
// parameter names left alone even where a symbol of that name is renamed.
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { parseSourceFile } from "../src/parse/source-file.js";
import { generatedFunctionNames, macroDefinedFunctions } from "../src/resolve/macro-defined-functions.js";
import { syscallCopyText } from "../src/decide/syscall-copy.js";
import { FIXTURES, expectGolden, json, readKernelSource } from "./golden.js";

describe("decide: copying a system call", () => {
  it("kernel/sys.c: umask and compat getrusage", () => {
    const file = parseSourceFile("kernel/sys.c", readKernelSource("kernel/sys.c"));
    const calls = macroDefinedFunctions(file).filter((g) => g.macroArg === "umask" || (g.macroArg === "getrusage" && g.macro.startsWith("COMPAT_")));
    expect(calls.length).toBe(2);
    const renames: Record<string, string> = { getrusage: "(*klpe_getrusage)", put_compat_rusage: "klpe_put_compat_rusage", who: "WRONG_param_renamed", mask: "WRONG_param_renamed" };
    const out = calls.map((call) => {
      const renamed: string[] = [];
      const text = syscallCopyText(file, call, (n) => renames[n], { keepMacro: false, onRename: (n) => renamed.push(n), onIdentifier: () => undefined });
      return { functions: generatedFunctionNames(call), renamed: renamed.sort(), text };
    });
    expectGolden(join(FIXTURES, "decide", "syscall-copy.json"), json(out));
  });

  it("kernel/fork.c: clone's alternative signatures under #if are copied whole", () => {
    const file = parseSourceFile("kernel/fork.c", readKernelSource("kernel/fork.c"));
    const clone = macroDefinedFunctions(file).filter((g) => g.macroArg === "clone");
    expect(clone.length).toBe(1);
    const text = syscallCopyText(file, clone[0]!, () => undefined, { keepMacro: false, onRename: () => undefined, onIdentifier: () => undefined });
    expectGolden(join(FIXTURES, "decide", "syscall-copy-clone.c"), `${text}\n`);
    // Near miss: an #ifdef around the whole call (fork) is not part of it; its #endif comes after the body.
    const fork = macroDefinedFunctions(file).find((g) => g.macroArg === "fork")!;
    expect(fork.text.startsWith("SYSCALL_DEFINE0(fork)")).toBe(true);
  });
});
