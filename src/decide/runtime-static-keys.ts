import type { OutputPiece } from "../model/plan.js";

/**
 * `static_branch_likely(&(*klpe_key))`, or `static_key_false(&(*klpe___tracepoint_X).key)` in a
 * copied tracepoint inline: a jump label on a key that only a kallsyms lookup finds.
 */
const KEY_THROUGH_POINTER = /\b(?:static_branch_(?:likely|unlikely)|static_key_(?:false|true))\s*\(\s*&\s*\(\s*\*\s*klpe_\w+\s*\)/;
const KEY_FUNCTION_BY_LABEL = /\bstatic_key_(?:false|true)\s*\(\s*&\s*klpe_\w+/;
const KEY_FUNCTION_THROUGH_POINTER = /\bstatic_key_(?:false|true)\s*\(\s*&\s*\(\s*\*\s*klpe_\w+\s*\)/;

/**
 * kallsyms mode: a static key reached through a klpe_ pointer has no address at
 * link time, which a jump label's `asm goto` needs ("impossible constraint in
 * asm"). The copied code then tests the key at run time, as static_key_enabled()
 * does (an atomic read: the same answer, without the patched-in branch). The
 * redefinition follows the includes, so only copied code sees it.
 */
export function runtimeStaticKeys(pieces: OutputPiece[], mode: "kallsyms" | "klp-reloc"): OutputPiece[] {
  // klp-reloc: a tracepoint copied for a module (tracepoints.ts) tests a key bound to .klp.sym.
  if (mode === "klp-reloc" && pieces.some((p) => KEY_FUNCTION_BY_LABEL.test(p.text))) {
    const text = ["#undef static_key_false", "#define static_key_false(x) unlikely(static_key_enabled(x))", "#undef static_key_true", "#define static_key_true(x) likely(static_key_enabled(x))"].join("\n");
    return [{ origin: "klp-ccp", line: 0, kind: "macro", text, note: RUNTIME_STATIC_KEYS_NOTE }];
  }
  if (mode !== "kallsyms" || !pieces.some((p) => KEY_THROUGH_POINTER.test(p.text))) return [];
  const text = [
    "#undef static_branch_likely",
    "#define static_branch_likely(x) likely(static_key_enabled(x))",
    "#undef static_branch_unlikely",
    "#define static_branch_unlikely(x) unlikely(static_key_enabled(x))",
    // The older static_key_false/true (a tracepoint's trace_X tests its key with static_key_false).
    ...(pieces.some((p) => KEY_FUNCTION_THROUGH_POINTER.test(p.text))
      ? ["#undef static_key_false", "#define static_key_false(x) unlikely(static_key_enabled(x))", "#undef static_key_true", "#define static_key_true(x) likely(static_key_enabled(x))"]
      : []),
  ].join("\n");
  return [{ origin: "klp-ccp", line: 0, kind: "macro", text, note: RUNTIME_STATIC_KEYS_NOTE }];
}

const RUNTIME_STATIC_KEYS_NOTE = "a static key reached through a klpe_ pointer has no link-time address for a jump label: tested at run time";

/** The redefinitions runtimeStaticKeys() put in a livepatch's pieces, if it did (the equivalence check applies them to the original too). */
export function runtimeStaticKeysIn(pieces: OutputPiece[]): string | undefined {
  return pieces.find((p) => p.origin === "klp-ccp" && p.note === RUNTIME_STATIC_KEYS_NOTE)?.text;
}
