// A changed header: which TUs of a build tree include it (kbuild's .o.cmd
// dependency lists) and what KLP-E069 tells the user about them.
// test/fixtures/kbuild/header-users/README.md says where the files come from.
import { describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DiagnosticSink } from "../src/diagnostics/diagnostic.js";
import { findHeaderUsers } from "../src/kbuild/header-users.js";
import { refuseChangedHeaders } from "../src/decide/changed-headers.js";
import { FIXTURES, expectGolden, json } from "./golden.js";

const DIR = join(FIXTURES, "kbuild", "header-users");
const BUILD = join(DIR, "build");
const IPA = join(DIR, "ipa");
/** The source tree the real .cmd files were written for (it need not exist here). */
const SRC = "/root/.cache/klp-testbed/root/usr/src/linux-source-6.1";
const HEADERS = ["include/linux/seq_file.h", "fs/proc/internal.h", "include/linux/proc_fs.h", "include/linux/nope.h"];

describe("changed headers", () => {
  it("finds the TUs whose kbuild dependencies list each header", () => {
    const { users, scanned } = findHeaderUsers({ src: SRC, build: BUILD, headers: HEADERS });
    expect(scanned).toBe(5); // not scripts/'s, .vmlinux.o.cmd or .dummy.mod.o.cmd
    expect(Object.fromEntries(users)).toEqual({
      "include/linux/seq_file.h": ["fs/proc/cmdline.c", "fs/proc/meminfo.c", "fs/proc/version.c", "lib/seq_buf.c"],
      "fs/proc/internal.h": ["fs/proc/meminfo.c", "fs/proc/version.c"],
      "include/linux/proc_fs.h": ["fs/proc/cmdline.c", "fs/proc/meminfo.c", "fs/proc/version.c"],
      "include/linux/nope.h": [],
    });
  });

  it("matches a header given with ./ and a build tree that does not exist", () => {
    expect(findHeaderUsers({ src: SRC, build: BUILD, headers: ["./fs/proc/internal.h"] }).users.get("./fs/proc/internal.h")).toEqual(["fs/proc/meminfo.c", "fs/proc/version.c"]);
    expect(findHeaderUsers({ src: SRC, build: join(DIR, "missing"), headers: ["fs/proc/internal.h"] })).toEqual({ users: new Map([["fs/proc/internal.h", []]]), scanned: 0 });
  });

  it("names the first 10 TUs and gives the prepare command for the first 10 without a dump", () => {
    const build = mkdtempSync(join(tmpdir(), "klp-ccp-header-users-"));
    try {
      for (let i = 0; i < 12; i++) {
        mkdirSync(join(build, `d${i}`));
        writeFileSync(join(build, `d${i}`, `.f.o.cmd`), `cmd_d${i}/f.o := gcc -D__KERNEL__ -c -o d${i}/f.o d${i}/f.c\n\nsource_d${i}/f.o := d${i}/f.c\n\ndeps_d${i}/f.o := \\\n  include/linux/x.h \\\n\n`);
      }
      const sink = new DiagnosticSink();
      refuseChangedHeaders({ headers: [{ path: "include/linux/x.h", location: { file: "x.patch", line: 3, column: 0 } }], src: "/src", build, ipaDir: build, sink });
      const [d] = sink.items;
      expect(d!.message).toMatch(/which 12 TUs compiled in .* include: d0\/f\.c, d1\/f\.c, d10\/f\.c, .*, d7\/f\.c and 2 more$/);
      expect(d!.hint).toContain(`none of them has an IPA clone dump in ${build} yet;`);
      expect(d!.hint).toContain(`make the first 10 dumps with: klp-ccp prepare --src /src --build ${build} d0/f.c d1/f.c d10/f.c d11/f.c d2/f.c d3/f.c d4/f.c d5/f.c d6/f.c d7/f.c`);
    } finally {
      rmSync(build, { recursive: true, force: true });
    }
  });

  it("refuses each changed header with its TUs, the missing dumps and the prepare command", () => {
    const sink = new DiagnosticSink();
    const headers = HEADERS.slice(0, 2).concat("include/linux/nope.h").map((path, i) => ({ path, location: { file: path, line: 10 + i, column: 1 } }));
    refuseChangedHeaders({ headers, src: SRC, build: BUILD, ipaDir: IPA, sink });
    const text = json(sink.items).replaceAll(BUILD, "$BUILD").replaceAll(IPA, "$IPA");
    expectGolden(join(DIR, "expected.json"), text);
    expect(sink.items.map((d) => [d.code, d.severity])).toEqual([["KLP-E069", "error"], ["KLP-E069", "error"], ["KLP-E069", "error"]]);
  });
});
