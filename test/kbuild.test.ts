import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { trialCompile } from "../src/kbuild/trial-compile.js";

// The include check: a syntax-only compile as a module, cached by gcc's own dependency list.
describe("trialCompile", () => {
  const dir = mkdtempSync(join(tmpdir(), "klp-ccp-trial-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const header = join(dir, "hidden.h");
  // Like asm/tlbflush.h: content a module does not see.
  writeFileSync(header, "#ifndef MODULE\nstatic inline int hidden(void) { return 1; }\n#endif\n");
  const user = join(dir, "user.h");
  writeFileSync(user, '#include "hidden.h"\nstatic inline int uses(void) { return hidden(); }\n');
  const compile = { argv: ["gcc", "-O2", "-Werror=implicit-function-declaration", "-I", dir, "-c", "tu.c", "-o", "tu.o"], cwd: dir };
  const cache = join(dir, "cache");

  it("reports the header a module build fails in", () => {
    const r = trialCompile(compile, '#include "user.h"\n');
    expect(r.ok).toBe(false);
    expect(r.errorFiles).toEqual([user]);
    expect(r.firstError).toMatch(/implicit declaration of function .hidden./);
  });

  it("answers again from the cache while no file it read changed", () => {
    let compiled = 0;
    const first = trialCompile(compile, '#include "hidden.h"\nint x;\n', cache, () => compiled++);
    const second = trialCompile(compile, '#include "hidden.h"\nint x;\n', cache, () => compiled++);
    expect([first.ok, first.cached, second.ok, second.cached, compiled]).toEqual([true, undefined, true, true, 1]);
  });

  it("compiles again when a header it read changed, or the text differs", () => {
    let compiled = 0;
    const text = '#include "user.h"\nint y;\n';
    trialCompile(compile, text, cache, () => compiled++);
    utimesSync(header, new Date(), new Date(Date.now() + 5000));
    const again = trialCompile(compile, text, cache, () => compiled++);
    trialCompile(compile, `${text}int z;\n`, cache, () => compiled++);
    expect([again.cached, compiled]).toEqual([undefined, 3]);
  });
});
