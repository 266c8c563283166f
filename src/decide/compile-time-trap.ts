import type { Closure } from "../closure/closure.js";
import { homeOf, type TuContext } from "../model/tu.js";

type Need = Closure["symbols"] extends Map<string, infer N> ? N : never;

/**
 * Whether a function the copied code names, found in neither table, is a
 * compile-time trap: declared by a kernel header, defined nowhere in the TU,
 * and the code is a fix of the running kernel's source (not --functions).
 * The running kernel links without the function, so no live call to it is
 * compiled in its configuration: `__bad_size_call_parameter` behind
 * `this_cpu_read` in a tracepoint, a `*_wrong_object_type` checker,
 * `lockdep_is_held` without lockdep are dead code gcc drops, in the fixed
 * code as in the original. If gcc keeps one, fixup refuses the module
 * (KLP-E036). A variable is never taken for one: state must be found.
 */
export function isCompileTimeTrap(ctx: TuContext, need: Need): boolean {
  if (need.what !== "function" || need.decl.kind !== "prototype" || homeOf(ctx, need.decl) !== "header") return false;
  if (ctx.original === ctx.main) return false;
  return !(ctx.tu.decls.get(need.name) ?? []).some((d) => d.kind === "function");
}
