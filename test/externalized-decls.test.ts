// externalizedDecl: the klpe_ declaration of an externalized variable. A header declaration that
// defines its struct (`extern struct g { ... } g;`, as net/sctp/structs.h's sctp_globals) is
// redeclared by tag only: the livepatch includes that header too, and a second body is a
// redefinition (corpus net/sctp/protocol.c, KLP-E042). The near miss: a plain `struct T` stays as is.
import { describe, it } from "vitest";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { externalizedDecl } from "../src/decide/externalized-decls.js";
import type { SymbolUse } from "../src/model/policy.js";
import { tuFixture } from "./tu-fixture.js";
import { FIXTURES, expectGolden } from "./golden.js";

const DIR = join(FIXTURES, "decide", "externalized-struct-body");

describe("externalized variable declarations", () => {
  it("name a struct the header defines in the declaration by its tag", () => {
    const ctx = tuFixture({ relPath: "net/demo.c", preprocessed: readFileSync(join(DIR, "tu.i"), "utf8") });
    const use = (name: string): SymbolUse => ({ name, what: "variable", object: "vmlinux", isStatic: false, decision: { kind: "externalize", sympos: 0, resolution: { kind: "init-lookup" } }, reason: "test", placement: "after-includes" });
    const lines = ["demo_globals", "demo_plain_var"].flatMap((n) => [externalizedDecl(ctx, use(n), "kallsyms"), externalizedDecl(ctx, use(n), "klp-reloc")]);
    expectGolden(join(DIR, "expected.txt"), `${lines.join("\n")}\n`);
  });
});
