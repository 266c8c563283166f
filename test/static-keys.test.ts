// kallsyms mode: a static key reached through a klpe_ pointer is tested at run
// time (the copied line is bond_procfs.c's, as klp-ccp renders it for
// test/kernel-cases/h10-bonding-procfs-inline); a key the module can name, and
// klp-reloc mode, keep their jump labels.
import { describe, expect, it } from "vitest";
import type { OutputPiece } from "../src/model/plan.js";
import { runtimeStaticKeys, runtimeStaticKeysIn } from "../src/decide/runtime-static-keys.js";

const piece = (text: string): OutputPiece => ({ origin: "drivers/net/bonding/bond_procfs.c", line: 100, kind: "function", text });
const THROUGH_POINTER = piece('\tseq_printf(seq, "Broadcast Neighbor: %s\\n",\n\t\t   static_branch_unlikely(&(*klpe_bond_bcast_neigh_enabled)) ?\n\t\t   "active" : "inactive");');
const BY_NAME = piece("\tif (static_branch_unlikely(&bond_bcast_neigh_enabled))\n\t\treturn;");

describe("static keys through klpe_ pointers", () => {
  it("kallsyms mode: static_branch_* become run-time tests", () => {
    const [p] = runtimeStaticKeys([BY_NAME, THROUGH_POINTER], "kallsyms");
    expect(p?.kind).toBe("macro");
    expect(p?.text).toContain("#define static_branch_unlikely(x) unlikely(static_key_enabled(x))");
    expect(p?.text).toContain("#define static_branch_likely(x) likely(static_key_enabled(x))");
  });
  it("klp-reloc mode: a tracepoint copied for a module tests its label-bound key at run time", () => {
    const copy = piece("\tif (static_key_false(&klpe___tracepoint_afs_cell.key))\n\t\treturn;");
    const [p] = runtimeStaticKeys([BY_NAME, copy], "klp-reloc");
    expect(p?.text).toBe("#undef static_key_false\n#define static_key_false(x) unlikely(static_key_enabled(x))\n#undef static_key_true\n#define static_key_true(x) likely(static_key_enabled(x))");
    expect(runtimeStaticKeysIn([p!])).toBe(p!.text);
  });
  it("a key named directly, or klp-reloc mode, keeps the jump label", () => {
    expect(runtimeStaticKeys([BY_NAME], "kallsyms")).toEqual([]);
    expect(runtimeStaticKeys([THROUGH_POINTER], "klp-reloc")).toEqual([]);
  });
  it("the equivalence check finds the redefinitions among a livepatch's pieces, to read the original with them too", () => {
    const keys = runtimeStaticKeys([THROUGH_POINTER], "kallsyms");
    expect(runtimeStaticKeysIn([BY_NAME, ...keys, THROUGH_POINTER])).toBe(keys[0]!.text);
    expect(runtimeStaticKeysIn([BY_NAME, THROUGH_POINTER, { ...keys[0]!, note: "another klp-ccp macro" }])).toBeUndefined();
  });
});
