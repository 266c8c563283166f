import type { OutputPiece, PatchedFunction } from "../model/plan.js";
import { effective, unhandled, type Decision, type SymbolUse } from "../model/policy.js";
import type { SourceFile, SourceItem } from "../model/syntax.js";
import { homeOf, type TuContext } from "../model/tu.js";
import type { Closure } from "../closure/closure.js";
import { freeReferences } from "../resolve/free-references.js";
import { applyRenames, identifierTokens, type Rename } from "../resolve/rename.js";
import { declaredIdentifier } from "../parse/declarators.js";
import { blankedNames } from "../parse/blanked-names.js";
import { redeclare } from "./declarator.js";
import { stripComments } from "../resolve/touched.js";
import { generatedFunctionNames, macroDefinedFunctions, type MacroDefinedFunction } from "../resolve/macro-defined-functions.js";
import { syscallCopyText } from "./syscall-copy.js";
import { runtimeStaticKeys } from "./runtime-static-keys.js";
import { compareText } from "../util/compare.js";
import { forwardTagName, typePartOf, withoutTagBody } from "./declaration-parts.js";
import { includedLocalHeader, withPrivateIncludesInlined } from "./private-headers.js";
import { redefineHeaderMacros, selectMacros } from "./macro-pieces.js";
import { placeModuleHidden } from "./module-hidden.js";
import { placePrivateTracepoints } from "./private-tracepoints.js";
import { tracepointPieces } from "./tracepoints.js";
import { includeNeeds, typesBeforeInclude } from "../closure/include-needs.js";
import { staticInitializerRanges, thunkMaker, thunkName } from "./static-init-thunks.js";
import { expandedDeclarations, expandedFunctionPiece, generatedByItem } from "./expanded-copy.js";
import { bindByLabel, externalizedDecl } from "./externalized-decls.js";
import { annotateIncludes, neededHeaderFiles } from "./includes.js";
import { indexDeclsByLine, isLiveMacro, liveIncludeKey } from "./live-items.js";
import { originalModName, withModName } from "./mod-name.js";
import { hideLaterMacros } from "./later-macros.js";
import { declareBeforeUse, keepFuncName, makeStatic, pieceOrder } from "./piece-order.js";
import { inlineSource, settleLayout, spelling, type LayoutFacts, type Policy } from "./policy.js";

/** Copied with its definition (a folded static, a changed table), renamed or not. */
const isCopy = (d: Decision): boolean => d.kind === "copy" || d.kind === "copy-renamed";

export interface AssembleOptions {
  ctx: TuContext;
  closure: Closure;
  patched: PatchedFunction[];
  /** What decidePolicy decided for every name; settled here (settleLayout) once the text is laid out. */
  policy: Policy;
  mode: "kallsyms" | "klp-reloc";
  /** Closure-only output: replaced functions keep their names (no klpp_, no forced static). */
  keepNames?: boolean;
  /** kallsyms mode: tracepoint header inlines klp-ccp copies from the trace macros (retargetTracepoints), with their tracepoint. */
  tracepoints?: Map<string, string>;
  /** Header inlines a header fix changed (copied as klpr_X from the patched header): for the pieces' notes. */
  changedInlines?: string[];
}

export interface Assembled {
  preamble: OutputPiece[];
  includes: OutputPiece[];
  body: OutputPiece[];
  /** A system call is copied with KLPP_SYSCALL_DEFINEn: the livepatch needs those macros. */
  syscallWrappers: boolean;
  /** What settleLayout refused, in the order to report it. */
  refusals: Array<Extract<Decision, { kind: "refuse" }>>;
}

/** Macros that must not be carried into a module (they would define kernel state). */
const NEVER_COPY_MACROS = new Set(["CREATE_TRACE_POINTS"]);

/**
 * Lays out the livepatch source: the .c file's live includes, then the
 * pieces the closure needs in their original order, copied from the original
 * text with the klpp_/klpe_ renames applied, and for each externalized
 * symbol a declaration where the original declared it.
 */
export function assemble(opts: AssembleOptions): Assembled {
  const { ctx, closure, policy, mode } = opts;
  const uses = policy.uses;
  const externalized = new Map(uses.filter((u) => u.decision.kind === "externalize").map((u) => [u.name, u]));
  const copiedData = new Map(uses.filter((u) => isCopy(u.decision) && u.what === "variable").map((u) => [u.name, u.reason]));
  const inlineCopies = policy.inlineCopies;
  const renameTo = (name: string): string | undefined => spelling(policy, name, mode);
  const renamedNames = new Set<string>();
  const facts: LayoutFacts = { renamed: renamedNames, placed: new Set(), missing: [], failedTracepoints: [], nonConstant: [] };
  const out: Omit<Assembled, "refusals"> = { preamble: [], includes: [], body: [], syscallWrappers: false };
  const syscalls = macroDefinedFunctions(ctx.main);
  const syscallsDone = new Set<MacroDefinedFunction>();
  const emittedFunctions = new Set<string>();
  const macroNames = new Set<string>();
  const pending: Array<{ file: SourceFile; item: SourceItem; piece: OutputPiece }> = [];
  const copiedTypes: Array<{ file: SourceFile; item: SourceItem }> = [];
  // kbuild defines KBUILD_MODNAME as the livepatch's own name: copied text keeps the original's.
  const modName = originalModName(ctx);
  const keepModName = (text: string): string => (modName ? withModName(text, modName) : text);

  const declsAt = indexDeclsByLine(ctx);
  const needsDeclaration = new Set(
    uses.filter((u) => u.decision.kind === "reference" && !(ctx.tu.decls.get(u.name) ?? []).some((d) => homeOf(ctx, d) === "header")).map((u) => u.name),
  );
  const declared = new Set<string>();
  const includeCandidates: Array<{ key: string; piece: OutputPiece }> = [];
  const externalizedPlaced = new Set<string>();

  /** `typeCopied`: the declaration's struct/union/enum body was copied just before (the declaration names the tag only). */
  const emitExternalized = (u: SymbolUse, origin: string, line: number, typeCopied = false): OutputPiece | undefined => {
    if (externalizedPlaced.has(u.name)) return undefined;
    externalizedPlaced.add(u.name);
    const text = externalizedDecl(ctx, u, mode);
    return { origin, line, kind: "externalized", text: typeCopied ? withoutTagBody(text) : text, note: `externalized ${u.name}: ${u.reason}` };
  };

  // A kernel header a private header includes after its own types: those types go before the include.
  const needsAt = includeNeeds(ctx);
  const typesBeforeIncludes = new Set([...needsAt.values()].flatMap((n) => n.types));
  const typesBefore = (key: string) => typesBeforeInclude(ctx, key, needsAt.get(key));
  const visitedHeaders = new Set<string>();
  // Where each private header's text stands in the TU: the include lines that lead to it from the .c file.
  const includedAt = new Map<string, number[]>([[ctx.relPath, []]]);
  let kernelIncluded = false;
  const early = new Set<string>();
  const visitFile = (file: SourceFile, into: OutputPiece[]) => {
    let seenInclude = false;
    for (const item of file.items) {
      const call = file === ctx.main ? syscalls.find((g) => item.startLine <= g.endLine && item.endLine >= g.startLine && (item.kind !== "function" || item.startLine >= g.startLine)) : undefined;
      if (call) {
        const names = generatedFunctionNames(call);
        if (!syscallsDone.has(call) && names.some((n) => closure.patched.has(n) || closure.copiedFunctions.has(n))) {
          syscallsDone.add(call);
          for (const n of names) emittedFunctions.add(n);
          out.syscallWrappers ||= !opts.keepNames;
          const text = syscallCopyText(file, call, renameTo, { keepMacro: Boolean(opts.keepNames), onRename: (n) => renamedNames.add(n), onIdentifier: (n) => macroNames.add(n) });
          into.push({ origin: file.path, line: call.startLine, kind: names.some((n) => closure.patched.has(n)) ? "patched-function" : "function", text: keepModName(text) });
        }
        continue;
      }
      let decls = declsAt.get(file.path)?.filter((d) => d.line >= item.startLine && d.line <= item.endLine) ?? [];
      if (item.kind === "include") {
        seenInclude = true;
        const key = liveIncludeKey(ctx, file, item);
        if (!key) continue;
        const local = includedLocalHeader(ctx, file, item, key);
        // Once per header, as its include guard makes gcc read it once (ext4.h comes through three includes).
        if (local && !visitedHeaders.has(local.path)) {
          visitedHeaders.add(local.path);
          includedAt.set(local.path, [...(includedAt.get(file.path) ?? []), item.startLine]);
          visitFile(local, into);
        } else if (local) continue;
        else {
          kernelIncluded = true;
          includeCandidates.push({ key, piece: { origin: file.path, line: item.startLine, kind: "include", text: typesBefore(key) + file.text.slice(item.start, item.end) } });
        }
        continue;
      }
      if (item.kind === "macro") {
        if (!isLiveMacro(ctx, file, item) || NEVER_COPY_MACROS.has(item.name!)) continue;
        const piece: OutputPiece = { origin: file.path, line: item.startLine, kind: "macro", text: keepModName(file.text.slice(item.start, item.end)) };
        if (!seenInclude && file === ctx.main) out.preamble.push(piece);
        else pending.push({ file, item, piece });
        // Before every kernel header in a private header the .c file includes first (udfdecl.h's
        // pr_fmt): when copied, it goes before the includes, where printk.h's #ifndef pr_fmt sees it.
        if (!seenInclude && file !== ctx.main && !kernelIncluded) early.add(`${piece.origin}:${piece.line}`);
        continue;
      }
      // A type a kept include needs went before that include (typesBefore).
      if (decls.some((d) => typesBeforeIncludes.has(d)) && !decls.some((d) => d.namespace === "ordinary" && (d.kind === "variable" || d.kind === "function"))) continue;
      const fnDecl = decls.find((d) => d.kind === "function");
      const carves = (name: string) => closure.patched.has(name) || closure.copiedFunctions.has(name);
      // Functions a macro call generates (no definition in the source): copied as gcc expanded them,
      // after the declarations the same call makes (a tracepoint's __tracepoint_X, externalized).
      const generated = generatedByItem(item, decls);
      const isCarved = item.kind === "function" && fnDecl !== undefined && generated.length === 0 && carves(fnDecl.name);
      const callDecls = decls;
      // Their prototypes (BPF_CALL_n's ____NAME) are the call's, not a reason to copy it whole.
      if (generated.length) decls = decls.filter((d) => !(d.kind === "prototype" && generated.some((g) => g.name === d.name)));
      // A type (or a declaration the copy needs whole) first: what the declarations below name.
      // A macro call's types come out of its expansion too (below), never the call itself.
      const needed =
        !isCarved && generated.length === 0 &&
        (decls.some((d) => closure.typeDecls.has(`${d.file}:${d.line}`) || (d.kind === "prototype" && closure.copiedFunctions.has(d.name)) || closure.registerVariables.has(d.name)) ||
          closure.tags.has(forwardTagName(item) ?? ""));
      // Copied whole, an `extern enum E {...} v;` declares v too; a definition (`struct s {...} v;`)
      // must not be copied (it would make new state): then only its type is.
      // `static enum mode { ... } cur;` defines state: its named type is copied alone, once, and the
      // declarations made for `cur` name the tag only (a second body would redefine it).
      const definesState = !isCarved && decls.some((d) => d.namespace === "ordinary" && d.kind === "variable" && !closure.registerVariables.has(d.name));
      const typePart = definesState ? typePartOf(file, item) : undefined;
      // A static with no symbol that holds no state (decide: folded-static) is copied whole.
      const copiedDatum = isCarved ? undefined : decls.find((d) => d.namespace === "ordinary" && d.kind === "variable" && copiedData.has(d.name));
      if (copiedDatum) {
        const text = renamed(file, item, renameTo(copiedDatum.name));
        into.push(...pendingThunks.splice(0), { origin: file.path, line: item.startLine, kind: "declaration", text, note: `copied ${copiedDatum.name}: ${copiedData.get(copiedDatum.name)}` });
        continue;
      }
      const reached = decls.some((d) => d.namespace === "ordinary" && (externalized.has(d.name) || needsDeclaration.has(d.name)));
      if (needed || (typePart && reached)) {
        into.push({ origin: file.path, line: item.startLine, kind: "type", text: typePart ?? renamed(file, item, undefined) });
        copiedTypes.push({ file, item });
      }
      const itemMark = into.length;
      for (const d of decls) {
        if (d.namespace !== "ordinary") continue;
        const u = externalized.get(d.name);
        if (u && u.placement !== "after-includes") {
          const p = emitExternalized(u, file.path, d.line, typePart !== undefined);
          if (p) into.push(p);
        }
        if (needed && !definesState && d.kind !== "function") declared.add(d.name);
        // A name referenced by name but declared only by this file needs a declaration of its own.
        if (needsDeclaration.has(d.name) && !declared.has(d.name)) {
          declared.add(d.name);
          const r = redeclare(ctx.tu.text, d, d.name);
          const text = r ? `extern ${r.specifiers} ${r.declarator};` : undefined;
          if (text) into.push({ origin: file.path, line: d.line, kind: "declaration", text: typePart ? withoutTagBody(text) : text, note: `declaration of ${d.name}, reached by name` });
        }
      }
      const genPieces: OutputPiece[] = [];
      for (const d of generated.filter((g) => carves(g.name) && !emittedFunctions.has(g.name))) {
        emittedFunctions.add(d.name);
        const isPatched = closure.patched.has(d.name);
        const newName = isPatched && !opts.keepNames ? `klpp_${d.name}` : undefined;
        const piece = expandedFunctionPiece(ctx, d, { file, item }, renameTo, { ...(newName ? { newName } : {}), isPatched, onRename: (n) => renamedNames.add(n) });
        genPieces.push(newName ? { ...piece, text: keepFuncName(ctx.tu.text.slice(d.start, d.end), d.name, piece.text) } : piece);
      }
      // The call's own declarations those pieces name (`typeof(__traceiter_X)`), as gcc expanded them.
      if (generated.length) into.splice(itemMark, 0, ...expandedDeclarations(ctx, callDecls, [...into.slice(itemMark), ...genPieces], { skip: (n) => externalized.has(n) || declared.has(n), type: (d) => closure.typeDecls.has(`${d.file}:${d.line}`) }, { file, item }));
      into.push(...genPieces);
      if (isCarved) {
        const isPatched = closure.patched.has(fnDecl.name);
        emittedFunctions.add(fnDecl.name);
        const text = renamed(file, item, isPatched && !opts.keepNames ? `klpp_${fnDecl.name}` : undefined);
        into.push(...pendingThunks.splice(0));
        into.push({ origin: file.path, line: item.startLine, kind: isPatched ? "patched-function" : "function", text: isPatched && !opts.keepNames ? keepFuncName(ctx.tu.text.slice(fnDecl.start, fnDecl.end), fnDecl.name, text) : text, defines: fnDecl.name, ...(closure.copiedForData.has(fnDecl.name) && !isPatched ? { note: "copied: a static initializer in the copied code names it, and needs a constant address" } : {}) });
      }
    }
  };

  // kallsyms mode: an externalized function named in a static initializer is reached through a
  // thunk, emitted once, before the piece that first names it.
  const { thunkFor, pending: pendingThunks } = thunkMaker(ctx, externalized);

  /** Item text with references to patched and externalized names renamed; `newName` renames the definition. */
  const renamed = (file: SourceFile, item: SourceItem, newName: string | undefined): string => {
    const renames: Rename[] = [];
    const node = item.node;
    const text = file.text.slice(item.start, item.end);
    for (const t of identifierTokens(text, { members: true })) macroNames.add(t.name);
    if (node) {
      const staticInits = mode === "kallsyms" ? staticInitializerRanges(node) : [];
      for (const ref of freeReferences(node, blankedNames(file.text, item.start, item.end))) {
        const inStaticInit = staticInits.some(([a, b]) => ref.start >= a && ref.end <= b);
        const to = inStaticInit && thunkFor(ref.name) ? thunkName(ref.name) : renameTo(ref.name);
        if (inStaticInit && to?.startsWith("(*klpe_") && ref.namespace === "ordinary") {
          facts.nonConstant.push({ name: ref.name, file: file.path, line: 1 + (file.text.slice(0, ref.start).match(/\n/g) ?? []).length });
        }
        if (to && ref.namespace === "ordinary") {
          renames.push({ start: ref.start, end: ref.end, text: to });
          renamedNames.add(ref.name);
        }
      }
      if (newName) {
        const id = declaredIdentifier(node.childForFieldName("declarator"));
        if (id) renames.push({ start: id.startIndex, end: id.endIndex, text: newName });
      }
    }
    let result = withPrivateIncludesInlined(ctx, file, keepModName(applyRenames(text, renames, item.start)));
    if (newName && !/\bstatic\b/.test(stripComments(result.slice(0, result.indexOf(newName))))) {
      result = makeStatic(result, newName);
    }
    return result;
  };

  // Header inlines that reach externalized symbols: copied from the header's source as klpr_ functions.
  // One generated by a macro (a tracepoint's trace_*) has no source.
  const inlineSources = new Map<string, { file: SourceFile; item: SourceItem }>();
  for (const name of inlineCopies) {
    const source = inlineSource(ctx, closure, name);
    if (source) inlineSources.set(name, source);
  }
  const inlinePieces: OutputPiece[] = [];
  // A tracepoint's inlines, made by the trace macros: copied from the macro's body (tracepoints.ts).
  const traced = tracepointPieces(ctx, inlineCopies.filter((n) => !inlineSources.has(n)), opts.tracepoints, renameTo, (n) => renamedNames.add(n));
  facts.failedTracepoints.push(...traced.failed);
  for (const p of traced.pieces) for (const t of identifierTokens(p.text, { members: true })) macroNames.add(t.name);
  inlinePieces.push(...traced.pieces);
  for (const [name, { file, item }] of inlineSources) {
    inlinePieces.push({ origin: file.path, line: item.startLine, kind: "function", text: renamed(file, item, `klpr_${name}`), note: `header inline copied as klpr_${name}: ${opts.changedInlines?.includes(name) ? "the fix changes it" : "it uses externalized symbols"}` });
  }

  visitFile(ctx.main, out.body);
  // Never drop a function silently: one whose text was not found is reported.
  for (const name of [...closure.patched, ...closure.copiedFunctions].sort()) {
    if (emittedFunctions.has(name)) continue;
    const d = (ctx.tu.decls.get(name) ?? []).find((x) => x.kind === "function" && homeOf(ctx, x) !== "header");
    facts.missing.push({ name, file: d ? ctx.markerToRel.get(d.file) ?? d.file : ctx.relPath, line: d?.line ?? 0 });
  }

  // Macros: those the copied text names, and the macros those name, transitively.
  // A macro a kernel header defined first (settings.h's #undef/#define IRQF_MODIFY_MASK) also
  // needs its #undef: the header's definition is in force after the includes.
  const definedInHeaders = (name: string) => (ctx.tu.macros.get(name) ?? []).some((m) => homeOf(ctx, m) === "header");
  // A header macro the copy uses may name a macro only the file defines (DMERR's DM_MSG_PREFIX).
  const headerMacroDefinitions = (name: string) => (ctx.tu.macros.get(name) ?? []).filter((m) => homeOf(ctx, m) === "header").map((m) => m.definition);
  // A macro defined inside a copied struct body comes with it.
  const inCopiedType = (p: (typeof pending)[number]) => copiedTypes.some((c) => c.file === p.file && p.item.start >= c.item.start && p.item.end <= c.item.end);
  let headerNames: string[] | undefined;
  const headerMacroNames = () => (headerNames ??= [...ctx.tu.macros.all().keys()].filter(definedInHeaders).sort(compareText));
  const macroPieces = selectMacros(pending.filter((p) => !inCopiedType(p)), macroNames, renameTo, renamedNames, definedInHeaders, headerMacroDefinitions, headerMacroNames);
  out.preamble.push(...macroPieces.filter((p) => early.has(`${p.origin}:${p.line}`)));
  out.body.push(...macroPieces.filter((p) => !early.has(`${p.origin}:${p.line}`)));
  out.body.sort(pieceOrder(includedAt));
  if (!opts.keepNames) declareBeforeUse(ctx, out.body, closure.patched);

  // Externalized symbols declared only in headers go right after the includes. In klp-reloc
  // mode one that only header code names (a tracepoint's trace_* inline, generated by a macro,
  // so there is no source to copy and rename) keeps its name: its header declaration is bound
  // to the livepatch symbol by an asm label, which gcc accepts after the first declaration.
  // Header macros redefined first: they rename too, and renamedNames must be complete below.
  const redirected = new Set([...externalized.keys(), ...inlineCopies]);
  const macroRedefinitions = redefineHeaderMacros(ctx, macroNames, redirected, renameTo, renamedNames);
  for (const name of externalizedPlaced) facts.placed.add(name);
  const refusals = settleLayout(policy, facts, ctx, mode);
  const headerDecls: OutputPiece[] = [];
  for (const u of [...externalized.values()].sort((a, b) => compareText(a.name, b.name))) {
    if (externalizedPlaced.has(u.name)) continue;
    const d = effective(u.decision);
    if (!d) continue;
    switch (d.kind) {
      case "bind-label":
        headerDecls.push(bindByLabel(u, d.sympos));
        break;
      case "externalize": {
        const p = emitExternalized(u, "klp-ccp", 0);
        if (p) headerDecls.push(p);
        break;
      }
      case "reference":
      case "copy":
      case "copy-renamed":
      case "leave":
        break;
      default:
        unhandled(d);
    }
  }
  const runtimeKeys = runtimeStaticKeys([...out.body, ...macroRedefinitions, ...inlinePieces], mode);
  // What headers hide from modules goes before the include whose headers use it, or first here.
  const hidden = placeModuleHidden(ctx, macroNames, includeCandidates);
  out.body.unshift(...hidden, ...headerDecls, ...runtimeKeys, ...macroRedefinitions, ...inlinePieces);
  out.body = placePrivateTracepoints(ctx, hideLaterMacros(ctx, out.body), opts.tracepoints);
  out.includes = annotateIncludes(ctx, includeCandidates, neededHeaderFiles(ctx, closure, macroNames));
  return { ...out, refusals };
}

