// Driver for the safety checks: each test/fixtures/safety/<case> names a real
// Debian 6.1 kernel file (path.txt, kept once in fixtures/kernel-src) and a fix;
// the fix is applied as extract applies it, and expected.json lists the
// changed functions and the diagnostics. Near-miss cases sit next to the
// cases that must trigger, and must stay quiet.
import { describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DiagnosticSink } from "../src/diagnostics/diagnostic.js";
import { readPatch } from "../src/input/diff.js";
import { applyPatch } from "../src/kbuild/apply-patch.js";
import { parseSourceFile } from "../src/parse/source-file.js";
import { touchedFunctions } from "../src/resolve/touched.js";
import { checkCopiedState, checkSafety } from "../src/decide/safety.js";
import { FIXTURES, cases, expectGolden, json, read, readKernelSource } from "./golden.js";

describe("safety checks", () => {
  for (const name of cases("safety")) {
    it(name, () => {
      const rel = read("safety", name, "path.txt").trim();
      const src = mkdtempSync(join(tmpdir(), "klp-ccp-safety-"));
      try {
        mkdirSync(dirname(join(src, rel)), { recursive: true });
        const original = readKernelSource(rel);
        writeFileSync(join(src, rel), original);
        const sink = new DiagnosticSink();
        const patchText = read("safety", name, "fix.patch");
        const patch = readPatch("fix.patch", patchText, sink)!;
        const patched = applyPatch(patch, patchText, src, join(src, "work"), sink)!;
        const before = parseSourceFile(rel, original);
        const after = parseSourceFile(rel, patched.get(rel)!);
        const changed = touchedFunctions(patch.files[0]!, after, before, sink);
        const names = changed.map((c) => c.name);
        const object = existsSync(join(FIXTURES, "safety", name, "object.txt")) ? read("safety", name, "object.txt").trim() : "vmlinux";
        checkSafety({ original: before, patched: after, changed: names, replaced: names, object, sink });
        expectGolden(join(FIXTURES, "safety", name, "expected.json"), json({ changed, diagnostics: sink.items }));
      } finally {
        rmSync(src, { recursive: true, force: true });
      }
    });
  }
  it("a const static local is data, not state; a pointer to const is state", () => {
    // Declarator shapes the real fixtures do not all reach (static-const-local-near-miss has one).
    const text = [
      "static int f(void)",
      "{",
      "\tstatic const char *p = \"a\";",
      "\tstatic const char *const q = \"b\";",
      "\tstatic const int n = 3;",
      "\tstatic int (*fp)(void);",
      "\tstatic void (*const cfp)(void) = 0;",
      "\tstatic const char *const names[] = { \"x\" };",
      "\tstatic const char *names2[] = { \"x\" };",
      "\tstatic char *const *pp;",
      "\treturn 0;",
      "}",
      "",
    ].join("\n");
    const file = parseSourceFile("f.c", text);
    const sink = new DiagnosticSink();
    checkSafety({ original: file, patched: file, changed: [], replaced: ["f"], object: "vmlinux", sink });
    expect(sink.items.map((d) => [d.code, d.message])).toEqual([
      ["KLP-W005", "f has static local variable(s) p, fp, names2, pp: the livepatch's copy starts with fresh state"],
    ]);
  });
  it("a new signature whose caller the fix changes too is no KLP-E026, though that caller was inlined (corpus hv_kvp.c: kvp_register, kvp_handle_handshake inlined into kvp_on_msg)", () => {
    const before = (otherCalls: boolean) =>
      parseSourceFile("f.c", ["static void reg(int v)", "{", "\tsend(v);", "}", "static int shake(int v)", "{", "\treg(v);", "\treturn 0;", "}", "int on_msg(int v)", "{", "\treturn shake(v);", "}", "static int other(int v)", "{", otherCalls ? "\treg(v);" : "", "\treturn 1;", "}", ""].join("\n"));
    const after = (otherCalls: boolean) =>
      parseSourceFile("f.c", ["static int reg(int v)", "{", "\treturn send(v);", "}", "static int shake(int v)", "{", "\treturn reg(v);", "}", "int on_msg(int v)", "{", "\treturn shake(v);", "}", "static int other(int v)", "{", otherCalls ? "\treg(v);" : "", "\treturn 1;", "}", ""].join("\n"));
    const codes = (otherCalls: boolean) => {
      const sink = new DiagnosticSink();
      // shake has no symbol of its own: the livepatch replaces on_msg, its caller, and copies shake.
      checkSafety({ original: before(otherCalls), patched: after(otherCalls), changed: ["reg", "shake"], replaced: ["reg", "on_msg"], object: "vmlinux", sink });
      return sink.items.map((d) => `${d.code}: ${d.message}`);
    };
    expect(codes(false)).toEqual([]);
    // Near miss: a caller the fix does not change still calls the old signature.
    expect(codes(true)).toEqual(["KLP-E026: the patch changes the signature of reg, and unpatched code still calls it or takes its address: other"]);
  });
  it("__net_exit with CONFIG_NET_NS is ordinary code, run for every namespace torn down: no KLP-E024 (corpus ieee802154 core.c); without it, it is", () => {
    const before = parseSourceFile("f.c", ["static void __net_exit pernet_exit(struct net *net)", "{", "\tWARN_ON(move(net));", "}", ""].join("\n"));
    const after = parseSourceFile("f.c", ["static void __net_exit pernet_exit(struct net *net)", "{", "\tmove(net);", "}", ""].join("\n"));
    const codes = (netNamespaces: boolean) => {
      const sink = new DiagnosticSink();
      checkSafety({ original: before, patched: after, changed: ["pernet_exit"], replaced: ["pernet_exit"], object: "ieee802154", netNamespaces, sink });
      return sink.items.map((d) => d.code);
    };
    expect(codes(true)).toEqual([]);
    expect(codes(false)).toEqual(["KLP-E024"]);
  });
  it("a change inlined only into __init code is KLP-E024 (corpus slram.c: register_device into init_slram); a __ref caller is not", () => {
    const text = [
      "static int register_device(int n)",
      "{",
      "\treturn n + 1;",
      "}",
      "",
      "static int __init init_slram(void)",
      "{",
      "\treturn register_device(1);",
      "}",
      "",
      "static int __ref probe_slram(void)",
      "{",
      "\treturn register_device(2);",
      "}",
      "",
    ].join("\n");
    const file = parseSourceFile("drivers/mtd/devices/slram.c", text);
    const sink = new DiagnosticSink();
    checkSafety({ original: file, patched: file, changed: ["register_device"], replaced: ["init_slram", "probe_slram"], object: "slram", sink });
    expect(sink.items.map((d) => [d.code, d.location?.line, d.message])).toEqual([
      ["KLP-E024", 6, "init_slram is __init and the change lands in it (a changed function was inlined into it): init/exit code has already run or been discarded, so replacing it changes nothing"],
    ]);
  });
  it("once-state of functions copied into the livepatch restarts too (kernel/capability.c)", () => {
    // warn_legacy_capability_use and warn_deprecated_v2 are inlined into cap_validate_magic, so
    // they are copied with it; cap_get_target_pid (copied too when a caller is) has no once-state.
    const file = parseSourceFile("kernel/capability.c", readKernelSource("kernel/capability.c"));
    const sink = new DiagnosticSink();
    checkCopiedState({ files: [file], copied: new Set(["warn_legacy_capability_use", "warn_deprecated_v2", "cap_get_target_pid", "not_defined_here"]), sink });
    expect(sink.items.map((d) => [d.code, `${d.location?.file}:${d.location?.line}`, d.message])).toEqual([
      ["KLP-W006", "kernel/capability.c:70", "warn_deprecated_v2 (copied into the livepatch) uses pr_info_once: its once/ratelimit state restarts in the livepatch"],
      ["KLP-W006", "kernel/capability.c:46", "warn_legacy_capability_use (copied into the livepatch) uses pr_info_once: its once/ratelimit state restarts in the livepatch"],
    ]);
  });
  it("static locals of functions copied into the livepatch are fresh copies too (fs/drop_caches.c)", () => {
    const file = parseSourceFile("fs/drop_caches.c", readKernelSource("fs/drop_caches.c"));
    const sink = new DiagnosticSink();
    checkCopiedState({ files: [file], copied: new Set(["drop_caches_sysctl_handler", "drop_pagecache_sb"]), sink });
    expect(sink.items.map((d) => [d.code, `${d.location?.file}:${d.location?.line}`, d.message])).toEqual([
      ["KLP-W005", "fs/drop_caches.c:50", "drop_caches_sysctl_handler (copied into the livepatch) has static local variable(s) stfu: the copy starts with fresh state, while unpatched code that inlined drop_caches_sysctl_handler keeps the kernel's"],
    ]);
  });
  it("fixtures are real kernel files under GPL-2.0 or the MIT terms DRM uses", () => {
    for (const name of cases("safety")) {
      expect(readKernelSource(read("safety", name, "path.txt").trim())).toMatch(/SPDX-License-Identifier: GPL-2\.0|GNU General Public License|Permission to use, copy, modify, distribute, and sell/);
    }
  });
});
