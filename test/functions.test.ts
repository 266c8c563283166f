// Driver for --functions mode on a small userspace C project (GNU C: typeof,
// statement expressions, attributes; static helpers and state, a function
// pointer table, typedef/struct/enum/macro dependencies across headers):
// for every function of every file, the carved-out C must compile with the
// file's own command. One output is also kept as a golden file.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../src/cli/main.js";
import { parseSourceFile } from "../src/parse/source-file.js";
import { withModName } from "../src/decide/mod-name.js";
import { FIXTURES, expectGolden } from "./golden.js";

const PROJECT = join(FIXTURES, "closure-project", "src");
const CFLAGS = ["-std=gnu11", "-Wall"];
const FILES = ["calc.c", "util.c"];

async function closureOf(fn: string, file: string, out: string, extra: string[] = []): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    stderr += String(s);
    return true;
  });
  try {
    const code = await main(["extract", "--functions", fn, "--output-closure-only", "--out", out, ...extra, "--", "gcc", ...CFLAGS, "-c", join(PROJECT, file)]);
    return { code, stderr };
  } finally {
    spy.mockRestore();
  }
}

describe("--functions on a userspace C project", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "klp-ccp-functions-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const file of FILES) {
    const functions = parseSourceFile(file, readFileSync(join(PROJECT, file), "utf8")).items.filter((i) => i.kind === "function").map((i) => i.name!);
    it(`${file} has functions`, () => expect(functions.length).toBeGreaterThan(2));
    for (const fn of functions) {
      it(`${file}: ${fn} compiles on its own`, async () => {
        const out = join(dir, `${fn}.c`);
        const r = await closureOf(fn, file, out);
        expect(r.code, r.stderr).toBe(0);
        const cc = spawnSync("gcc", [...CFLAGS, "-Wno-unused-function", "-c", out, "-o", join(dir, `${fn}.o`)], { encoding: "utf8" });
        expect(cc.stderr).toBe("");
        expect(cc.status).toBe(0);
      });
    }
  }

  it("golden: calc_eval's closure", async () => {
    const out = join(dir, "golden.c");
    expect((await closureOf("calc_eval", "calc.c", out)).code).toBe(0);
    expectGolden(join(FIXTURES, "closure-project", "expected-calc_eval.c"), readFileSync(out, "utf8"));
  });

  it("finds the command in compile_commands.json", async () => {
    const db = join(dir, "compile_commands.json");
    writeFileSync(db, JSON.stringify([{ directory: PROJECT, file: "calc.c", arguments: ["gcc", ...CFLAGS, "-c", "calc.c"] }]));
    let stderr = "";
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += String(s)), true));
    const out = join(dir, "db.c");
    const code = await main(["extract", "--functions", "calc_eval", "--output-closure-only", "--out", out, "--compile-commands", db, "--file", join(PROJECT, "calc.c")]);
    spy.mockRestore();
    expect(code, stderr).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(readFileSync(join(dir, "golden.c"), "utf8"));
  });

  it("an unknown function is a located error", async () => {
    const r = await closureOf("no_such_function", "calc.c", join(dir, "x.c"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/calc\.c: error KLP-E027: calc\.c defines no function no_such_function/);
  });

  it("an output file below a regular file is refused before any work", async () => {
    const r = await closureOf("calc_eval", "calc.c", join(PROJECT, "calc.c", "out.c"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error KLP-E016: --out .* cannot be created: .*calc\.c is not a directory/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it("no compile command is a usage error", async () => {
    let stderr = "";
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += String(s)), true));
    const code = await main(["extract", "--functions", "calc_eval", "--output-closure-only"]);
    spy.mockRestore();
    expect(code).toBe(2);
    expect(stderr).toMatch(/KLP-E019/);
  });
});

describe("--functions: header functions without a body of their own", () => {
  const dir = join(FIXTURES, "gnu-inline");
  const run = async (fn: string) => {
    let stderr = "";
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
      stderr += String(s);
      return true;
    });
    const out = join(tmpdir(), `klp-ccp-gnu-inline-${fn}-${process.pid}.c`);
    try {
      const code = await main(["extract", "--functions", fn, "--output-closure-only", "--out", out, "--symbols", join(dir, "kallsyms.txt"), "--", "gcc", ...CFLAGS, "-I", join(dir, "include"), "-c", join(dir, "user.c")]);
      return { code, stderr };
    } finally {
      spy.mockRestore();
      rmSync(out, { force: true });
    }
  };

  it("an extern gnu_inline header function needs no symbol", async () => {
    const r = await run("clear");
    expect(r.stderr).not.toMatch(/KLP-E013/);
    expect(r.code, r.stderr).toBe(0);
  });

  it("near-miss: a real external function missing from the symbol table is KLP-E013", async () => {
    const r = await run("clear_and_sum");
    expect(r.stderr).toMatch(/KLP-E013: function checksum/);
    expect(r.code).toBe(1);
  });

  it("a function only a macro's expansion names (a compile-time trap) is a warning", async () => {
    const r = await run("read_size");
    expect(r.stderr).toMatch(/KLP-W004: function __bad_size_call_parameter, used by read_size only inside a kernel macro's expansion/);
    expect(r.code, r.stderr).toBe(0);
  });

  it("near-miss: code that names the trap itself is KLP-E013", async () => {
    const r = await run("calls_trap_itself");
    expect(r.stderr).toMatch(/KLP-E013: function __bad_size_call_parameter/);
    expect(r.code).toBe(1);
  });
});

describe("--functions: statics gcc folded away (no symbol, no state) are copied", () => {
  const dir = join(FIXTURES, "folded-static");
  const run = async (fn: string, file = "sg.c") => {
    let stderr = "";
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += String(s)), true));
    const out = join(tmpdir(), `klp-ccp-folded-static-${fn}-${process.pid}.c`);
    try {
      const code = await main(["extract", "--functions", fn, "--output-closure-only", "--out", out, "--symbols", join(dir, "kallsyms.txt"), "--", "gcc", ...CFLAGS, "-I", join(dir, "include"), "-c", join(dir, file)]);
      return { code, stderr, text: code === 0 ? readFileSync(out, "utf8") : "" };
    } finally {
      spy.mockRestore();
      rmSync(out, { force: true });
    }
  };

  it("a static scalar nothing writes is copied with its value (drivers/scsi/sg.c)", async () => {
    const r = await run("sg_ioctl_version");
    expect(r.code, r.stderr).toBe(0);
    expect(r.text).toMatch(/copied sg_version_num: static scalar nothing writes[^\n]*\*\/\nstatic int sg_version_num = 30536;/);
  });

  it("an empty lock_class_key (lockdep off) is copied: nothing to reach (drivers/net/macvlan.c)", async () => {
    const r = await run("macvlan_set_lockdep_class");
    expect(r.code, r.stderr).toBe(0);
    expect(r.text).toContain("static struct lock_class_key macvlan_netdev_addr_lock_key;");
  });

  it("near-miss: a static another function writes is state: KLP-E012", async () => {
    const r = await run("sg_ioctl_reserved");
    expect(r.stderr).toMatch(/KLP-E012: variable sg_big_buff/);
    expect(r.code).toBe(1);
  });

  it("a static const struct naming static functions is copied with them (security/selinux/ss/policydb.c)", async () => {
    const r = await run("range_read", "policydb.c");
    expect(r.code, r.stderr).toBe(0);
    // The functions have symbols, but a static initializer needs constant addresses: they are copied, before the table.
    expect(r.text).toMatch(/a static initializer in the copied code names it[^\n]*\*\/\nstatic unsigned int rangetr_hash\(/);
    expect(r.text).toMatch(/copied rangetr_key_params: static const folded by gcc[^\n]*\*\/\nstatic const struct hashtab_key_params rangetr_key_params = \{\n\t\.hash = rangetr_hash,\n\t\.cmp = rangetr_cmp,/);
    expect(r.text.indexOf("static int rangetr_cmp(")).toBeLessThan(r.text.indexOf("rangetr_key_params = {"));
  });

  it("a static local's initializer names the kernel's static function through a klpt_ thunk, a constant (kallsyms mode; sound/pci/ymfpci)", async () => {
    const r = await run("filename_read", "policydb.c");
    expect(r.code, r.stderr).toBe(0);
    expect(r.text).toMatch(/\.hash = klpt_rangetr_hash,/);
    expect(r.text).not.toMatch(/static unsigned int rangetr_hash\(/);
  });

  it("near-miss: an automatic local's initializer reaches the kernel's function (externalized)", async () => {
    const r = await run("filename_read_auto", "policydb.c");
    expect(r.code, r.stderr).toBe(0);
    expect(r.text).toMatch(/\.hash = \(\*klpe_rangetr_hash\),/);
    expect(r.text).not.toMatch(/static unsigned int rangetr_hash\(/);
  });

  it("near-miss: the same table without const, written by another function, is state: KLP-E012", async () => {
    const r = await run("role_trans_read", "policydb.c");
    expect(r.stderr).toMatch(/KLP-E012: variable roletr_key_params/);
    expect(r.code).toBe(1);
  });
});

describe("--functions: KBUILD_MODNAME keeps the original object's name", () => {
  const dir = join(FIXTURES, "kbuild-modname");
  const carve = async (defines: string[]) => {
    let stderr = "";
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += String(s)), true));
    const out = join(tmpdir(), `klp-ccp-kbuild-modname-${process.pid}.c`);
    try {
      const code = await main(["extract", "--functions", "cap_validate_magic", "--output-closure-only", "--out", out, "--", "gcc", ...CFLAGS, "-DCONFIG_MULTIUSER", ...defines, "-I", join(dir, "include"), "-c", join(dir, "capability.c")]);
      expect(code, stderr).toBe(0);
      return readFileSync(out, "utf8");
    } finally {
      spy.mockRestore();
      rmSync(out, { force: true });
    }
  };

  it("pr_fmt's KBUILD_MODNAME becomes the original's literal (kernel/capability.c)", async () => {
    // Argv as the shell leaves kbuild's -DKBUILD_MODNAME='"capability"'.
    const text = await carve(['-DKBUILD_MODNAME="capability"']);
    expectGolden(join(dir, "expected.c"), text);
    // Compiled as the livepatch is, under its own KBUILD_MODNAME: the copied helper still prints "capability: ".
    const pp = spawnSync("gcc", [...CFLAGS, "-E", "-P", '-DKBUILD_MODNAME="livepatch_cap"', "-I", join(dir, "include"), "-x", "c", "-"], { input: text, encoding: "utf8" });
    expect(pp.status, pp.stderr).toBe(0);
    expect(pp.stdout).toMatch(/printf\("capability" ": " "warning: `%s' uses 32-bit capabilities/);
    expect(pp.stdout).not.toMatch(/livepatch_cap/);
  });

  it("near-miss: an unknown KBUILD_MODNAME is left as it is", async () => {
    const text = await carve([]);
    expect(text).toMatch(/^#define pr_fmt\(fmt\) KBUILD_MODNAME ": " fmt$/m);
  });

  it("only the identifier is replaced: not in comments, strings or directives naming the macro", () => {
    const text = ['#ifdef KBUILD_MODNAME /* KBUILD_MODNAME */', '#if defined(KBUILD_MODNAME)', 'static const char *m = KBUILD_MODNAME, *s = "KBUILD_MODNAME";', "#endif", "#endif", ""].join("\n");
    expect(withModName(text, '"capability"').split("\n")).toEqual([
      '#ifdef KBUILD_MODNAME /* KBUILD_MODNAME */',
      '#if defined(KBUILD_MODNAME)',
      `static const char *m = "capability" /* the original KBUILD_MODNAME, not the livepatch's */, *s = "KBUILD_MODNAME";`,
      "#endif",
      "#endif",
      "",
    ]);
  });
});

describe("--functions: kallsyms mode, an externalized function in a static initializer", () => {
  const dir = join(FIXTURES, "static-init-thunk");
  const carve = async (mode: string) => {
    let stderr = "";
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += String(s)), true));
    const out = join(tmpdir(), `klp-ccp-static-init-thunk-${mode}-${process.pid}.c`);
    const cc = ["gcc", ...CFLAGS, "-Werror", "-I", join(dir, "include")];
    try {
      const code = await main(["extract", "--functions", "snd_ymfpci_mixer,snd_ymfpci_reset,snd_ymfpci_cached_mixer", "--output-closure-only", "--out", out, "--symbols", join(dir, "kallsyms.txt"), "--externalize", mode, "--", ...cc, "-c", join(dir, "ymfpci_main.c")]);
      expect(code, stderr).toBe(0);
      // The table's initializer must be a constant: the closure compiles.
      const r = spawnSync(cc[0]!, [...cc.slice(1), "-fsyntax-only", "-x", "c", out], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(out, "utf8");
    } finally {
      spy.mockRestore();
      rmSync(out, { force: true });
    }
  };

  it("names a klpt_ thunk that calls the kernel's function through its klpe_ pointer (sound/pci/ymfpci/ymfpci_main.c)", async () => {
    expectGolden(join(dir, "expected-kallsyms.c"), await carve("kallsyms"));
  });

  it("near miss: klp-reloc mode binds the function itself, no thunk", async () => {
    expectGolden(join(dir, "expected-klp-reloc.c"), await carve("klp-reloc"));
  });

  it("a variable's address in a static initializer is KLP-E054 at its line in kallsyms mode, bound in klp-reloc mode", async () => {
    for (const mode of ["kallsyms", "klp-reloc"]) {
      let stderr = "";
      const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += String(s)), true));
      const out = join(tmpdir(), `klp-ccp-static-init-var-${mode}-${process.pid}.c`);
      try {
        const code = await main(["extract", "--functions", "snd_ymfpci_shadow_of", "--output-closure-only", "--out", out, "--symbols", join(dir, "kallsyms.txt"), "--externalize", mode, "--", "gcc", ...CFLAGS, "-I", join(dir, "include"), "-c", join(dir, "ymfpci_main.c")]);
        if (mode === "kallsyms") {
          expect(stderr).toMatch(/ymfpci_main\.c:38: error KLP-E054: a static initializer names snd_ymfpci_shadow, [^\n]*\(a variable\)/);
          expect(code).toBe(1);
        } else {
          expect(code, stderr).toBe(0);
          expect(readFileSync(out, "utf8")).toContain("static unsigned short *const base = klpe_snd_ymfpci_shadow;");
        }
      } finally {
        spy.mockRestore();
        rmSync(out, { force: true });
      }
    }
  });
});
