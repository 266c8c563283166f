import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { PpDecl } from "../model/syntax.js";
import type { TranslationUnit } from "../model/tu.js";
import type { NameReference } from "../model/references.js";
import { blankedNames } from "../parse/blanked-names.js";
import { freeReferences } from "../resolve/free-references.js";
import { MemberTypes } from "./member-types.js";
import { isPrivateTraceInline } from "./private-trace.js";

/** A function or variable the new code reaches that is not copied: decide() settles how. */
export interface SymbolNeed {
  name: string;
  what: "function" | "variable";
  isStatic: boolean;
  /** The declaration the TU saw (definition preferred). */
  decl: PpDecl;
  /** The function whose body uses it first. */
  via: string;
  /** Set when only kernel-header inline code uses it (the name of that inline). */
  viaHeaderInline?: string;
}

/** A static inline function of a kernel header that the copied code calls. */
export interface HeaderInline {
  decl: PpDecl;
  /** Functions, variables and other header inlines its body uses. */
  uses: Set<string>;
}

/** What the patched functions need from their TU. */
export interface Closure {
  /** Source names of the functions replaced (their text is copied as klpp_). */
  patched: Set<string>;
  /** Static functions copied verbatim, by name. */
  copiedFunctions: Set<string>;
  /** Those of copiedFunctions copied although they have a symbol: a copied static's initializer names them. */
  copiedForData: Set<string>;
  /** `static const` tables of the file whose values the patch changes, reached by the copied code: copied as klpp_NAME. */
  changedTables: Set<string>;
  /** Declarations of main-file/local-header types, enumerators, typedefs to copy, keyed "file:line". */
  typeDecls: Map<string, PpDecl>;
  /** Functions and variables reached, by name. */
  symbols: Map<string, SymbolNeed>;
  /** Why each name is in the closure: name → the function that first needed it. */
  neededBy: Map<string, string>;
  /** Header files (as line markers name them) that declare something the copied code uses. */
  headerFiles: Set<string>;
  /** Header static inlines reached from the copied code, by name. */
  headerInlines: Map<string, HeaderInline>;
  /** Every struct/union/enum tag the copied code names, defined or not (its `struct A;` declarations are copied too). */
  tags: Set<string>;
  /** File-scope register variables (`register unsigned long sp asm("rsp")`) the copied code uses: copied, they hold no state. */
  registerVariables: Set<string>;
}

export interface ClosureOptions {
  ctx: TranslationUnit;
  /** Functions whose new text is the livepatch (source names). */
  patched: string[];
  /** True when a static function of this TU has a symbol of its own in the running kernel. */
  hasOwnSymbol: (name: string) => boolean;
  /** True when a static variable of this TU has no symbol in the running kernel (gcc folded it); absent without a symbol table. */
  isFolded?: (name: string) => boolean;
  /** `static const` tables whose values the patch changes (touched: their readers are replaced): copied, never reached. */
  changedTables?: Set<string>;
  /** Functions the patch adds: copied where used, whatever their storage class (they have no symbol). */
  addedByPatch?: Set<string>;
  /** A driver's private trace header's inlines walked as header code, to be copied as klpr_trace_X (decide/tracepoints.ts). */
  privateTraceInlines?: boolean;
  sink: DiagnosticSink;
}

/**
 * Walks from the patched functions through every file-scope name their
 * preprocessed bodies use, transitively, and sorts each into: copy (static
 * functions with no symbol, types of the .c file and its local headers),
 * symbol (functions and variables the livepatch must reach), or nothing
 * (everything a module gets from the kernel headers it includes).
 */
export function computeClosure(opts: ClosureOptions): Closure {
  const { ctx } = opts;
  const out: Closure = {
    patched: new Set(opts.patched),
    copiedFunctions: new Set(),
    copiedForData: new Set(),
    changedTables: new Set(),
    typeDecls: new Map(),
    symbols: new Map(),
    neededBy: new Map(),
    headerFiles: new Set(),
    headerInlines: new Map(),
    tags: new Set(),
    registerVariables: new Set(),
  };
  const queue: Array<{ decl: PpDecl; from: string; typesOnly: boolean }> = [];
  const seenNodes = new Set<string>();
  const enqueue = (decl: PpDecl, from: string, typesOnly = false) => {
    const key = `${decl.start}:${typesOnly}`;
    if (seenNodes.has(key)) return;
    seenNodes.add(key);
    queue.push({ decl, from, typesOnly });
  };
  // Initializers of the file's statics that have no symbol: decide() may copy such a static
  // (gcc folded it: no state), and its copy's initializer names static functions
  // (`static const struct hashtab_key_params p = { .hash = rangetr_hash }`), copied with it:
  // an address in a static initializer must be a link-time constant, never a klpe_ pointer.
  const foldedData = new Set<string>();
  for (const name of opts.patched) {
    const def = definitionOf(ctx, name);
    if (!def) continue;
    enqueue(def, name);
  }
  // Member-access chains through header structs (`NFS_SERVER(ino)->pnfs_curr_ld->f`) need the
  // private types of their links: read when the queue runs dry, until they need nothing new.
  const members = new MemberTypes(ctx);
  const memberTypes = (): boolean => {
    for (const { decls, via } of members.next()) {
      for (const d of decls) {
        const key = `${d.file}:${d.line}`;
        if (out.typeDecls.has(key)) continue;
        out.typeDecls.set(key, d);
        if (!out.neededBy.has(d.name)) out.neededBy.set(d.name, via || opts.patched[0]!);
        enqueue(d, via || opts.patched[0]!);
      }
    }
    return queue.length > 0;
  };
  while (queue.length || memberTypes()) {
    const { decl, from, typesOnly } = queue.shift()!;
    const inFoldedData = decl.kind === "variable" && foldedData.has(decl.name);
    // Static locals' initializers (a copied function's `static const struct ops o = { .write = f }`)
    // need link-time constant addresses too: the static functions they name are copied.
    // Header code the closure walks: inline functions (for the symbols they reach) and typedefs (for the types they name).
    const home0 = (d: PpDecl) => (opts.privateTraceInlines && isPrivateTraceInline(ctx, d) ? "header" : ctx.homeOf(d));
    const privateTrace = opts.privateTraceInlines === true && isPrivateTraceInline(ctx, decl);
    const inHeaderInline = home0(decl) === "header" && decl.kind === "function";
    const inlineUses = new Set<string>();
    if (inHeaderInline && decl.kind === "function") out.headerInlines.set(decl.name, { decl, uses: inlineUses });
    if (!typesOnly && (!inHeaderInline || privateTrace)) members.addAccesses(decl.node, decl.name || from);
    for (const ref of typesOnly ? signatureReferences(ctx, decl) : referencesOf(ctx, decl)) {
      if (ref.namespace === "tag" && (!inHeaderInline || privateTrace)) out.tags.add(ref.name);
      const decls = (ctx.tu.decls.get(ref.name) ?? []).filter((d) => (ref.namespace === "tag") === (d.namespace === "tag"));
      // A replaced function is not reached through its own name; a struct of the same name (nfsd4_free_stateid) is.
      if (decls.length === 0 || (ref.namespace === "ordinary" && out.patched.has(ref.name))) continue;
      const best = pickDecl(ctx, decls);
      const home = home0(best);
      if (home === "header" && (best.kind === "tag" || best.kind === "typedef")) members.addHeaderType(ref.name, ref.namespace);
      else if (home === "header" && best.kind !== "enumerator" && !inHeaderInline) members.addHeaderSymbol(best);
      if (inHeaderInline && (best.kind === "function" || best.kind === "prototype" || best.kind === "variable" || best.kind === "extern-variable")) inlineUses.add(ref.name);
      if (!inHeaderInline || privateTrace) for (const d of decls) if (ctx.homeOf(d) === "header") out.headerFiles.add(d.file);
      const note = (n: string) => {
        if (!out.neededBy.has(n)) out.neededBy.set(n, decl.name || from);
      };
      if (typesOnly && best.kind !== "tag" && best.kind !== "typedef" && best.kind !== "enumerator") continue;
      // The declaration the livepatch writes for a symbol of this file needs the file's types too.
      const needTypes = (d: PpDecl) => {
        if (ctx.homeOf(d) !== "header") enqueue(d, from, true);
      };
      switch (best.kind) {
        case "tag":
        case "typedef":
        case "enumerator":
          // A header's `typedef struct X X_t;` may name a struct only this TU's files define: follow it.
          if (home === "header" && best.kind === "typedef" && !inHeaderInline) enqueue(best, from, true);
          if (home !== "header") {
            for (const d of decls.filter((x) => ctx.homeOf(x) !== "header")) {
              const key = `${d.file}:${d.line}`;
              if (!out.typeDecls.has(key)) {
                out.typeDecls.set(key, d);
                note(ref.name);
                enqueue(d, from);
              }
            }
          }
          break;
        case "function":
          if ((best.storage === "static" || best.inline) && home === "header") {
            // A header inline (static, or extern gnu_inline like fortify's __FORTIFY_INLINE, which
            // never has a body of its own): the module compiles it itself; follow it only to find symbols.
            note(ref.name);
            enqueue(best, from);
          } else if ((best.storage === "static" && inFoldedData) || ((best.storage === "static" || opts.addedByPatch?.has(ref.name)) && !opts.hasOwnSymbol(ref.name))) {
            if (!out.copiedFunctions.has(ref.name)) {
              // A static function named by copied folded data is copied with it (its address must be a
              // constant there). A static local's initializer in copied code is not such data: it
              // names the kernel's function (klp-reloc binds it; kallsyms mode makes a klpt_ thunk).
              if (opts.hasOwnSymbol(ref.name) && inFoldedData) out.copiedForData.add(ref.name);
              out.copiedFunctions.add(ref.name);
              note(ref.name);
              enqueue(best, from);
            }
          } else {
            addSymbol(out, ref.name, "function", best, decl.name, inHeaderInline);
            needTypes(best);
          }
          break;
        case "prototype":
          addSymbol(out, ref.name, "function", best, decl.name, inHeaderInline);
          needTypes(best);
          break;
        case "variable":
        case "extern-variable": {
          // `register ... asm("rsp")` variables are registers, not symbols: the declaration is copied.
          if (/\bregister\b/.test(ctx.tu.text.slice(best.start, best.nameStart))) {
            if (home !== "header" && !out.registerVariables.has(ref.name)) {
              out.registerVariables.add(ref.name);
              note(ref.name);
              enqueue(best, from, true);
            }
            break;
          }
          // A header's own `static const` table (etherdevice.h's eth_reserved_addr_base) is defined
          // again by the module's include, with the same value: nothing to reach.
          if (home === "header" && best.kind === "variable" && best.storage === "static" && isConstData(ctx.tu.text.slice(best.start, best.nameStart))) break;
          addSymbol(out, ref.name, "variable", best, decl.name, inHeaderInline);
          const changedTable = home !== "header" && best.kind === "variable" && opts.changedTables?.has(ref.name) === true;
          if (changedTable) out.changedTables.add(ref.name);
          if (home !== "header" && best.kind === "variable" && best.storage === "static" && !inHeaderInline && (changedTable || opts.isFolded?.(ref.name) === true) && hasInitializer(ctx, best)) {
            foldedData.add(ref.name);
            enqueue(best, from);
          } else needTypes(best);
          break;
        }
      }
    }
  }
  return out;
}

function addSymbol(out: Closure, name: string, what: "function" | "variable", decl: PpDecl, via: string, inHeaderInline: boolean) {
  const prev = out.symbols.get(name);
  // A use in the TU's own code wins over one inside a header inline.
  if (prev && (!prev.viaHeaderInline || inHeaderInline)) return;
  out.symbols.set(name, { name, what, isStatic: decl.storage === "static", decl, via, ...(inHeaderInline ? { viaHeaderInline: via } : {}) });
}

/** `static T v = ...;`: the declaration has an initializer to walk. */
function hasInitializer(ctx: TranslationUnit, decl: PpDecl): boolean {
  return /^\s*(?:\[[^\]]*\]\s*)*=/.test(ctx.tu.text.slice(decl.nameStart + decl.name.length, decl.end));
}

/** Specifiers that make the object itself read-only (`static const u8`, not `static const char *`). */
function isConstData(specifiers: string): boolean {
  return /\bconst\b/.test(specifiers) && !specifiers.includes("*");
}

/** The function definition the TU has for `name` in its main file or local headers. */
export function definitionOf(ctx: TranslationUnit, name: string): PpDecl | undefined {
  return (ctx.tu.decls.get(name) ?? []).find((d) => d.kind === "function" && ctx.homeOf(d) !== "header");
}

/** Prefers a definition over declarations, and the TU's own files over headers. */
function pickDecl(ctx: TranslationUnit, decls: PpDecl[]): PpDecl {
  const rank = (d: PpDecl) =>
    (d.kind === "function" || d.kind === "variable" || d.kind === "tag" ? 0 : 2) + (ctx.homeOf(d) === "header" ? 1 : 0);
  return [...decls].sort((a, b) => rank(a) - rank(b))[0]!;
}


/** References of a declaration's type and declarator only: not a function body, not an initializer. */
function signatureReferences(ctx: TranslationUnit, decl: PpDecl): NameReference[] {
  const skip: Array<[number, number]> = [];
  const body = decl.node.childForFieldName("body");
  if (body) skip.push([body.startIndex, body.endIndex]);
  for (const d of decl.node.childrenForFieldName("declarator")) {
    const value = d.type === "init_declarator" ? d.childForFieldName("value") : null;
    if (value) skip.push([value.startIndex, value.endIndex]);
  }
  return referencesOf(ctx, decl).filter((r) => !skip.some(([a, b]) => r.start >= a && r.start < b));
}

/** A declaration's free references, those inside typeof, offsetof, attributes and _Static_assert included. */
function referencesOf(ctx: TranslationUnit, decl: PpDecl): NameReference[] {
  return freeReferences(decl.node, blankedNames(ctx.tu.text, decl.start, decl.end));
}
