// The text of a macro-generated function copied as gcc expanded it: gcc writes an
// expansion on one line; breakLines may change blanks only, never a token.
import { describe, expect, it } from "vitest";
import { breakLines } from "../src/decide/expanded-copy.js";

const tokens = (t: string) => t.match(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\w+|\S/g);

describe("expanded copies", () => {
  // BTRFS_SETGET_FUNCS(root_ref_name_len, ...) as the 6.1 btrfs TU has it, and a statement-heavy body.
  const accessor = `static inline __attribute__((__gnu_inline__)) u16 btrfs_root_ref_name_len(const struct extent_buffer *eb, const struct btrfs_root_ref *s) { _Static_assert(sizeof(u16) == sizeof(((struct btrfs_root_ref *)0))->name_len, "sizeof(u16) == sizeof(((struct btrfs_root_ref *)0))->name_len"); return btrfs_get_16(eb, s, __builtin_offsetof(struct btrfs_root_ref, name_len)); }`;
  const body = `static int f(int a) { if (a) { g("{;}", ';'); } else h(); do { i(); } while (0); for (a = 0; a < 2; a++) { j(({ int z = a; z; })); } switch (a) { case 1: return 2; default: break; } return 0; }`;
  for (const text of [accessor, body]) {
    it(`keeps every token: ${text.slice(0, 40)}...`, () => {
      const out = breakLines(text);
      expect(tokens(out)).toEqual(tokens(text));
      expect(out.split("\n").length).toBeGreaterThan(2);
      expect(out.split("\n").every((l) => !/^\s*#/.test(l))).toBe(true);
    });
  }
  it("lays a body out by braces, keeping `} while (0);` and `} else` together", () => {
    expect(breakLines(body)).toBe(
      ["static int f(int a) {", "\tif (a) {", "\t\tg(\"{;}\", ';');", "\t} else h();", "\tdo {", "\t\ti();", "\t} while (0);", "\tfor (a = 0; a < 2; a++) {", "\t\tj(({ int z = a; z; }));", "\t}", "\tswitch (a) {", "\t\tcase 1: return 2;", "\t\tdefault: break;", "\t}", "\treturn 0;", "}"].join("\n"),
    );
  });
});
