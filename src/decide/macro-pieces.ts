import type { OutputPiece } from "../model/plan.js";
import type { SourceFile, SourceItem } from "../model/syntax.js";
import type { TuContext } from "../model/tu.js";
import { applyRenames, identifierTokens, type Rename } from "../resolve/rename.js";
import { compareText } from "../util/compare.js";

/**
 * The file's own macros the copied text names (`names`), and the macros those name,
 * transitively, also through kernel-header macros; each keeps its place in the file.
 */
export function selectMacros(
  pending: Array<{ file: SourceFile; item: SourceItem; piece: OutputPiece }>,
  names: Set<string>,
  renameTo: (n: string) => string | undefined,
  renamedNames: Set<string>,
  definedInHeaders: (name: string) => boolean,
  headerMacroDefinitions: (name: string) => string[],
  headerMacroNames: () => string[] = () => [],
): OutputPiece[] {
  const chosen: OutputPiece[] = [];
  const done = new Set<SourceItem>();
  const expanded = new Set<string>();
  // Names made by pasting (`NFSDDBG_##flag` with dprintk's `ifdebug(FACILITY)`): any file
  // macro with a pasted prefix or suffix may be the one a use builds.
  const pasted: Array<(name: string) => boolean> = [];
  const notePasting = (definition: string) => {
    for (const m of definition.matchAll(/\b([A-Za-z_]\w*_)\s*##|##\s*(_\w+)\b/g)) {
      const [, prefix, suffix] = m;
      // A bare `_`/`__` says nothing about the name.
      if (!/[A-Za-z]/.test(prefix ?? suffix!)) continue;
      pasted.push(prefix ? (n) => n.startsWith(prefix) : (n) => n.endsWith(suffix!));
    }
  };
  // A pasted name may be a header macro (cifs_dbg's `pr_debug_ ## ratefunc` is pr_debug_ratelimited),
  // whose definition names more (pr_fmt, which cifs_debug.h redefines).
  let scannedPastes = 0;
  const pastedHeaderNames = () => {
    if (scannedPastes === pasted.length) return [];
    const fresh = pasted.slice(scannedPastes);
    scannedPastes = pasted.length;
    return headerMacroNames().filter((n) => !names.has(n) && fresh.some((matches) => matches(n)));
  };
  const throughHeaders = () => {
    const queue = [...names].filter((n) => !expanded.has(n));
    while (queue.length) {
      const n = queue.pop()!;
      if (expanded.has(n)) continue;
      expanded.add(n);
      for (const definition of headerMacroDefinitions(n)) {
        notePasting(definition);
        for (const { name: t } of identifierTokens(definition, { members: true })) {
          names.add(t);
          if (!expanded.has(t)) queue.push(t);
        }
      }
      if (!queue.length) {
        for (const n of pastedHeaderNames()) {
          names.add(n);
          queue.push(n);
        }
      }
    }
  };
  const isNamed = (name: string) => names.has(name) || pasted.some((matches) => matches(name));
  // A name the file defines twice (SEQ_PUT_DEC in task_mmu.c: #define, #undef, #define) gets
  // an #undef before each copied definition: pieces keep source order, so every use still
  // sees the definition it saw in the file, and gcc sees no redefinition.
  const definitions = new Map<string, number>();
  for (const p of pending) definitions.set(p.item.name!, (definitions.get(p.item.name!) ?? 0) + 1);
  let changed = true;
  while (changed) {
    changed = false;
    throughHeaders();
    for (const p of pending) {
      if (done.has(p.item) || !isNamed(p.item.name!)) continue;
      done.add(p.item);
      changed = true;
      notePasting(p.piece.text);
      const renames: Rename[] = [];
      for (const t of identifierTokens(p.piece.text, { members: true })) names.add(t.name);
      for (const t of identifierTokens(p.piece.text)) {
        const to = t.name !== p.item.name ? renameTo(t.name) : undefined;
        if (to) {
          renames.push({ start: t.start, end: t.end, text: to });
          renamedNames.add(t.name);
        }
      }
      const text = applyRenames(p.piece.text, renames);
      chosen.push({ ...p.piece, text: definitions.get(p.item.name!)! > 1 || definedInHeaders(p.item.name!) ? `#undef ${p.item.name!}\n${text}` : text });
    }
  }
  return chosen;
}

/**
 * A kernel-header macro the copied code uses may expand to a non-exported
 * symbol (pte_alloc → __pte_alloc). Such a macro is redefined after the
 * includes with the symbol renamed, so the expansion in the copied code
 * reaches the externalized symbol while the headers themselves stay intact.
 */
export function redefineHeaderMacros(
  ctx: TuContext,
  used: Set<string>,
  externalized: Set<string>,
  renameTo: (n: string) => string | undefined,
  renamedNames: Set<string>,
): OutputPiece[] {
  const pieces: OutputPiece[] = [];
  const queue = [...used];
  const seen = new Set(queue);
  while (queue.length) {
    const name = queue.shift()!;
    const defs = (ctx.tu.macros.get(name) ?? []).filter((m) => {
      const rel = ctx.markerToRel.get(m.file);
      return rel !== ctx.relPath && !(rel && ctx.localHeaders.has(rel));
    });
    const def = defs[defs.length - 1];
    if (!def) continue;
    const renames: Rename[] = [];
    for (const t of identifierTokens(def.definition)) {
      if (!seen.has(t.name)) {
        seen.add(t.name);
        queue.push(t.name);
      }
      const to = t.name !== name && externalized.has(t.name) ? renameTo(t.name) : undefined;
      if (to) renames.push({ start: t.start, end: t.end, text: to });
    }
    if (renames.length === 0) continue;
    for (const t of identifierTokens(def.definition)) if (externalized.has(t.name)) renamedNames.add(t.name);
    const rel = ctx.markerToRel.get(def.file) ?? def.file;
    pieces.push({ origin: "klp-ccp", line: 0, kind: "macro", text: `/* ${rel}:${def.line}, redefined to reach externalized symbols */\n#undef ${name}\n${applyRenames(def.definition, renames)}` });
  }
  return pieces.sort((a, b) => compareText(a.text, b.text));
}
