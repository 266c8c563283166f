// Driver for the one C lexer (src/parse/c-lexer.ts): each fixture's input.c
// is read into tokens (golden tokens.txt: line:col, kind, text) and blanked of
// its comments and literals (golden blanked.c, offsets kept).
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { FIXTURES, cases, expectGolden, read } from "./golden.js";
import { CLexer, TOKEN_KINDS, blankComments, lineCode, skipBlanksAndComments } from "../src/parse/c-lexer.js";
import { identifierTokens } from "../src/resolve/rename.js";
import { outsideConditionals } from "../src/parse/conditional-depth.js";

/** 1-based line:col of each offset. */
function place(text: string, at: number): string {
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  return `${line}:${at - before.lastIndexOf("\n")}`;
}

function tokens(text: string): string {
  const lx = new CLexer(text, 0, text.length, true);
  const out: string[] = [];
  while (lx.next()) out.push(`${place(text, lx.start)}\t${TOKEN_KINDS[lx.kind]}${lx.atDirective ? " (directive)" : ""}\t${JSON.stringify(lx.text())}`);
  return `${out.join("\n")}\n`;
}

describe("lexer", () => {
  for (const name of cases("lexer")) {
    it(name, () => {
      const text = read("lexer", name, "input.c");
      expectGolden(join(FIXTURES, "lexer", name, "tokens.txt"), tokens(text));
      const blanked = blankComments(text, true);
      expect(blanked.length).toBe(text.length);
      expectGolden(join(FIXTURES, "lexer", name, "blanked.c"), blanked);
    });
  }

  it("reads directive lines one by one, a comment open across them", () => {
    expect(lineCode('#include "a.h" /* x', false)).toEqual({ code: '#include "a.h" ', open: true });
    expect(lineCode("  still */ #define X 1 // y", true)).toEqual({ code: "  #define X 1 ", open: false });
    expect(lineCode("#error don't /* stop */", false)).toEqual({ code: "#error don't /* stop */", open: false });
  });

  it("skips blanks, splices and comments", () => {
    const s = " \\\n /* a */ // b\n  x";
    expect(s[skipBlanksAndComments(s, 0, s.length)]).toBe("x");
  });

  // Fixed by the swap to the lexer: the regular expressions took a number's suffix
  // (`0x10UL` → `x10UL`), a literal's prefix and a header name's words for identifiers.
  it("gives readers identifiers only where C has them", () => {
    const names = identifierTokens('#include <linux/a.h>\nv = 0x10UL + 1e5 + L"s" + u8"t" + x;').map((t) => t.name);
    expect(names).toEqual(["include", "v", "x"]);
  });

  // Fixed by the swap too: a comment opener inside a string opened a comment, hiding the directives after it.
  it("counts #if depth past a comment opener inside a string", () => {
    const text = 'static const char *s = "/*";\n#if X\nint a;\n#endif\nint b;\n';
    expect(outsideConditionals(text, 3)).toBe(false);
    expect(outsideConditionals(text, 5)).toBe(true);
  });
});
