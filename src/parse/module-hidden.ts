/** What a header hides from modules: the lines a `-DMODULE` build does not read, and what it reads instead. */
export interface ModuleHidden {
  /** 1-based [first, last] lines of the arms only a built-in compile reads (`#ifndef MODULE` ... `#else`). */
  ranges: Array<[number, number]>;
  /** The text of the arms only a module reads (`#else` of those): names defined there are not hidden. */
  moduleArms: string;
}

/** True when `text` has a conditional on MODULE at all (the cheap test before moduleHidden). */
export function mentionsModuleConditional(text: string): boolean {
  // Asked of every header of the TU (~850 for kernel/fork.c), few of which name MODULE at all:
  // the plain search first took the check from ~190 ms to ~10 ms there (measured, first call).
  return text.includes("MODULE") && /^[ \t]*#[ \t]*(?:ifn?def[ \t]+MODULE\b|if[ \t]*!?[ \t]*defined[ \t]*\(?[ \t]*MODULE\b)/m.test(text);
}

/**
 * The arms of `#ifndef MODULE`, `#if !defined(MODULE)` and the `#else` of
 * `#ifdef MODULE` / `#if defined(MODULE)` (asm/tlbflush.h hides
 * flush_tlb_mm_range, which asm/tlb.h uses, from modules). Other conditions
 * that mention MODULE are left alone: their arms are not simply one or the other.
 */
export function moduleHidden(text: string): ModuleHidden {
  const lines = text.split("\n");
  const out: ModuleHidden = { ranges: [], moduleArms: "" };
  // Per open #if: whether its current arm is hidden from modules, a module-only arm, or neither.
  const stack: Array<{ kind: "not-module" | "module" | "other"; from: number }> = [];
  const close = (at: number) => {
    const top = stack[stack.length - 1];
    if (top?.kind === "not-module") out.ranges.push([top.from, at - 1]);
    else if (top?.kind === "module") out.moduleArms += `${lines.slice(top.from - 1, at - 1).join("\n")}\n`;
  };
  for (let i = 0; i < lines.length; i++) {
    const d = /^[ \t]*#[ \t]*(ifndef|ifdef|if|elif|else|endif)\b(.*)$/.exec(lines[i]!);
    if (!d) continue;
    const [, word, rest] = d;
    const line = i + 1;
    if (word === "ifndef" || word === "ifdef" || word === "if") {
      const isModule = word === "ifdef" ? /^\s+MODULE\b/.test(rest!) : word === "if" && /^\s*defined\s*\(?\s*MODULE\s*\)?\s*(?:\/[*/].*)?$/.test(rest!);
      const notModule = word === "ifndef" ? /^\s+MODULE\b/.test(rest!) : word === "if" && /^\s*!\s*defined\s*\(?\s*MODULE\s*\)?\s*(?:\/[*/].*)?$/.test(rest!);
      stack.push({ kind: notModule ? "not-module" : isModule ? "module" : "other", from: line + 1 });
    } else if (word === "else" || word === "elif") {
      close(line);
      const top = stack[stack.length - 1];
      if (!top) continue;
      // #elif: neither arm is simply the module's; #else flips the arm.
      top.kind = word === "elif" || top.kind === "other" ? "other" : top.kind === "module" ? "not-module" : "module";
      top.from = line + 1;
    } else {
      close(line);
      stack.pop();
    }
  }
  return out;
}
