import type { KernelSymbol, ObjectSymbol, SymbolTable } from "../model/input.js";
import type { TranslationUnit } from "../model/tu.js";

/** Where a symbol of the TU is in the running kernel. */
export type Location =
  | { found: true; symbol: KernelSymbol; sympos: number; how: string }
  | { found: false; why: string; ambiguous: boolean };

const isText = (s: KernelSymbol) => /^[tTwW]$/.test(s.type);

/**
 * Finds a TU's symbol in the symbol table and its livepatch sympos (1-based
 * position among same-named symbols of the object, 0 when unique). A static
 * name may exist in several TUs: the candidate must sit inside the address
 * range spanned by this TU's uniquely named functions (gcc emits a TU's
 * .text contiguously), so a namesake in another file is never taken.
 */
export function locateTuSymbol(table: SymbolTable, ctx: TranslationUnit, name: string, isStatic: boolean): Location {
  if (ctx.object !== "vmlinux" && !table.modules.has(ctx.object)) return locateInUnloadedModule(ctx, name);
  // gcc removed the TU's own body (inlined everywhere): a symbol of that name belongs to another file.
  if (removedByGcc(ctx, name)) return { found: false, why: `${name} has no symbol of ${ctx.relPath}: gcc removed it (inlined everywhere), so the ${name} in ${table.file} is another file's`, ambiguous: false };
  const all = candidatesIn(table, ctx.object, name);
  if (all.length === 0) return { found: false, why: `no symbol ${name} in ${table.file}`, ambiguous: false };
  let pool = all;
  if (!isStatic) {
    const globals = all.filter((s) => s.type === s.type.toUpperCase());
    if (globals.length) pool = globals;
  }
  if (pool.length === 1 && (!isStatic || all.length === 1 && !rangeExcludes(table, ctx, pool[0]!))) {
    return { found: true, symbol: pool[0]!, sympos: all.length === 1 ? 0 : all.indexOf(pool[0]!) + 1, how: "unique name" };
  }
  if (all.length > 1) {
    // kallsyms has no sections: addresses alone tell where the TU's section was linked.
    const placed = placeByObject(ctx, name, all, (n) => uniqueAddress(table, ctx.object, n), (s) => BigInt(`0x${s.address}`));
    if (placed) return { found: true, symbol: placed.symbol, sympos: all.indexOf(placed.symbol) + 1, how: placed.how };
  }
  if (pool.every((s) => !isText(s))) return locateDataByNeighbours(table, ctx, name, all, pool);
  const range = tuTextRange(table, ctx);
  if (!range) return { found: false, why: `${all.length} symbols named ${name} and no unique function of ${ctx.relPath} to tell them apart`, ambiguous: all.length > 1 };
  const inside = pool.filter((s) => isText(s) && BigInt(`0x${s.address}`) >= range.lo && BigInt(`0x${s.address}`) <= range.hi);
  if (inside.length === 1) {
    const sym = inside[0]!;
    return { found: true, symbol: sym, sympos: all.length === 1 ? 0 : all.indexOf(sym) + 1, how: `the one inside ${ctx.relPath}'s text range` };
  }
  if (inside.length === 0) return { found: false, why: `no symbol ${name} inside ${ctx.relPath}'s text range (the ${all.length} found belong to other files)`, ambiguous: false };
  return { found: false, why: `${inside.length} symbols named ${name} inside ${ctx.relPath}'s text range`, ambiguous: true };
}

/**
 * A TU's variables have no text range, but the linker keeps each TU's data
 * together within a section: a candidate is this TU's when its nearest
 * neighbours whose names are unique in the table are this TU's definitions.
 * One candidate with both neighbours (else with one) this TU's wins.
 */
function locateDataByNeighbours(table: SymbolTable, ctx: TranslationUnit, name: string, all: KernelSymbol[], pool: KernelSymbol[]): Location {
  const votes = pool.map((s) => [-1, 1].filter((step) => nearestUniqueIsOwn(table, ctx, s.index, step)).length);
  for (const want of [2, 1]) {
    const hits = pool.filter((_, i) => votes[i] === want);
    if (hits.length === 1) {
      const sym = hits[0]!;
      return { found: true, symbol: sym, sympos: all.indexOf(sym) + 1, how: `the one next to ${ctx.relPath}'s other data (${all.length} of that name)` };
    }
    if (hits.length > 1) return { found: false, why: `${hits.length} of the ${all.length} symbols named ${name} lie next to ${ctx.relPath}'s other data`, ambiguous: true };
  }
  return { found: false, why: `none of the ${all.length} symbols named ${name} lies next to data of ${ctx.relPath}`, ambiguous: true };
}

/** Walks from position `from` in direction `step` to the first symbol with a unique name: is it defined by this TU? */
function nearestUniqueIsOwn(table: SymbolTable, ctx: TranslationUnit, from: number, step: number): boolean {
  for (let i = from + step, n = 0; n < 64; i += step, n++) {
    const s = table.byName.at(i);
    if (!s) return false;
    if ((table.byName.get(s.name)?.length ?? 0) !== 1) continue;
    return (ctx.tu.decls.get(s.name) ?? []).some((d) => (d.kind === "variable" || d.kind === "function") && ctx.homeOf(d) === "main");
  }
  return false;
}

/** A data symbol (or any symbol not defined by this TU) found by name alone. */
export function locateByName(table: SymbolTable, object: string, name: string, isStatic: boolean): Location {
  const all = candidatesIn(table, object, name);
  if (all.length === 0) return { found: false, why: `no symbol ${name} in ${table.file}`, ambiguous: false };
  if (all.length === 1) return { found: true, symbol: all[0]!, sympos: 0, how: "unique name" };
  const globals = all.filter((s) => s.type === s.type.toUpperCase());
  if (!isStatic && globals.length === 1) {
    return { found: true, symbol: globals[0]!, sympos: all.indexOf(globals[0]!) + 1, how: "the only global of that name" };
  }
  return { found: false, why: `${all.length} symbols named ${name}`, ambiguous: true };
}

function candidatesIn(table: SymbolTable, object: string, name: string): KernelSymbol[] {
  const all = table.byName.get(name) ?? [];
  return all.filter((s) => (object === "vmlinux" ? s.module === undefined : s.module === object));
}

function rangeExcludes(table: SymbolTable, ctx: TranslationUnit, s: KernelSymbol): boolean {
  if (!isText(s)) return false;
  const r = tuTextRange(table, ctx);
  if (!r) return false;
  const a = BigInt(`0x${s.address}`);
  return a < r.lo || a > r.hi;
}

/** Address range of the TU's functions whose names are unique in the object (worked out once, kept in the TU: one symbol table per run). */
export function tuTextRange(table: SymbolTable, ctx: TranslationUnit): { lo: bigint; hi: bigint } | undefined {
  if (ctx.textRange !== undefined) return ctx.textRange ?? undefined;
  let lo: bigint | undefined;
  let hi: bigint | undefined;
  for (const [name, decls] of ctx.mainFileDecls()) {
    // Functions placed in other sections (__init, __sched, noinstr ...) lie outside the TU's .text
    // run, and a weak one may be overridden by a strong definition anywhere in the kernel.
    if (removedByGcc(ctx, name)) continue;
    const inText = decls.some((d) => d.kind === "function" && ctx.homeOf(d) === "main" && !/__section__|section\s*\(|\bweak\b|__weak__/.test(ctx.tu.text.slice(d.start, d.nameStart)));
    if (!inText) continue;
    const c = candidatesIn(table, ctx.object, name).filter(isText);
    if (c.length !== 1 || (table.byName.get(name)?.length ?? 0) !== 1) continue;
    const a = BigInt(`0x${c[0]!.address}`);
    if (a === 0n) continue;
    if (lo === undefined || a < lo) lo = a;
    if (hi === undefined || a > hi) hi = a;
  }
  ctx.textRange = lo !== undefined && hi !== undefined ? { lo, hi } : null;
  return ctx.textRange ?? undefined;
}

/**
 * The TU's IPA dump records that gcc removed the function's own node. Inline
 * clones carry the same name with a later order and are removed once inlined,
 * so only a removal of the name's first (lowest-order) node counts.
 */
export function removedByGcc(ctx: TranslationUnit, name: string): boolean {
  // Asked for every function of the TU (its text range): one pass over the dump, kept in the TU.
  ctx.removedNames ??= removedNames(ctx.ipa);
  return ctx.removedNames.has(name);
}

function removedNames(ipa: TranslationUnit["ipa"]): Set<string> {
  const first = new Map<string, number>();
  const removed = new Map<string, Set<number>>();
  for (const r of ipa) {
    for (const n of r.kind === "removal" ? [r.node] : [r.original, r.clone]) first.set(n.name, Math.min(first.get(n.name) ?? Infinity, n.order));
    if (r.kind === "removal") removed.set(r.node.name, (removed.get(r.node.name) ?? new Set()).add(r.node.order));
  }
  return new Set([...removed].filter(([name, orders]) => orders.has(first.get(name)!)).map(([name]) => name));
}

/**
 * A symbol table dumped without the target module loaded has none of its
 * symbols. The module's .ko (or the TU's compiled object) then tells which
 * names exist: gcc folds constants and drops what it inlined everywhere.
 * Without either, the TU itself: a function or variable it defines exists
 * unless gcc's dump shows it was removed.
 */
function locateInUnloadedModule(ctx: TranslationUnit, name: string): Location {
  if (ctx.moduleSymbols) return locateInModuleObject(ctx.moduleSymbols, ctx.object, name, ctx);
  const defined = (ctx.tu.decls.get(name) ?? []).some((d) => (d.kind === "function" || d.kind === "variable") && ctx.homeOf(d) !== "header");
  const removed = removedByGcc(ctx, name);
  if (!defined || removed) return { found: false, why: `${name} is not a symbol of module ${ctx.object} (${removed ? "removed by gcc: inlined" : "not defined in the TU"})`, ambiguous: false };
  const symbol = { name, address: "0", type: "t", module: ctx.object, index: -1 };
  return { found: true, symbol, sympos: 0, how: `module ${ctx.object} is not in the symbol table; the TU defines it and gcc did not remove it` };
}

/** A name among a module object's own symbols (symbol-table order is the module's kallsyms order). */
export function locateInModuleObject(mod: NonNullable<TranslationUnit["moduleSymbols"]>, object: string, name: string, ctx?: TranslationUnit): Location {
  const all = mod.symbols.filter((s) => s.name === name);
  if (all.length === 0) {
    return { found: false, why: `${mod.file} has no symbol ${name}${mod.wholeModule ? "" : " (gcc folded or removed it)"}`, ambiguous: false };
  }
  const globals = all.filter((s) => s.type === s.type.toUpperCase());
  // Same-named statics of the module's files: the TU's object says which is this file's.
  // In the module's own object, offsets count within each section.
  const placed = all.length > 1 && globals.length !== 1 && ctx
    ? placeByObject(ctx, name, all, (n, section) => {
        const same = mod.symbols.filter((s) => s.name === n);
        return same.length === 1 && same[0]!.section === section ? same[0]!.offset : undefined;
      }, (s, section) => (s.section === section ? s.offset : undefined))
    : undefined;
  const sym = all.length === 1 ? all[0]! : globals.length === 1 ? globals[0]! : placed?.symbol;
  if (!sym) return { found: false, why: `${all.length} symbols named ${name} in ${mod.file}${ctx?.objectFile ? " and the TU's object does not tell them apart" : ""}`, ambiguous: true };
  return { found: true, symbol: sym, sympos: all.length === 1 ? 0 : all.indexOf(sym) + 1, how: `module ${object} is not in the symbol table; its ${mod.wholeModule ? "module file" : "compiled object"} ${mod.file.replace(/^.*\//, "")} has it` };
}

/** The address of the only symbol named `name` in the object, when the table has just one. */
function uniqueAddress(table: SymbolTable, object: string, name: string): bigint | undefined {
  const all = table.byName.get(name) ?? [];
  if (all.length !== 1 || (object === "vmlinux" ? all[0]!.module !== undefined : all[0]!.module !== object)) return undefined;
  const a = BigInt(`0x${all[0]!.address}`);
  return a === 0n ? undefined : a;
}

/**
 * Places a TU's symbol through its compiled object: the linker moves each
 * input section whole, so the symbol at offset o of section S lies at
 * A + (o - o_a) for every other symbol of S at offset o_a whose final address
 * A is known (a name found once). Two such anchors must agree. `addressOf`
 * gives an anchor's final address and `addressOfCandidate` a candidate's
 * (undefined where it cannot be in section S).
 */
function placeByObject<S extends KernelSymbol>(
  ctx: TranslationUnit, name: string, candidates: S[], addressOf: (anchor: string, section: string) => bigint | undefined, addressOfCandidate: (s: S, section: string) => bigint | undefined,
): { symbol: S; how: string } | undefined {
  const syms: ObjectSymbol[] | undefined = ctx.objectSymbols();
  const own = syms?.filter((s) => s.name === name) ?? [];
  if (!syms || own.length !== 1) return undefined;
  const target = own[0]!;
  let hit: S | undefined;
  let anchors = 0;
  for (const anchor of syms) {
    if (anchor.section !== target.section || anchor.name === name) continue;
    const at = addressOf(anchor.name, target.section);
    if (at === undefined) continue;
    const predicted = at - anchor.offset + target.offset;
    const match = candidates.filter((c) => addressOfCandidate(c, target.section) === predicted);
    if (match.length !== 1 || (hit && hit !== match[0])) return undefined;
    hit = match[0];
    if (++anchors === 2) break;
  }
  return hit ? { symbol: hit, how: `placed by ${ctx.relPath}'s compiled object (${target.section}+0x${target.offset.toString(16)}, from ${anchors} symbol(s) of that section)` } : undefined;
}
