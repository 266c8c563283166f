import type { TuContext } from "../model/tu.js";
import { run } from "../kbuild/run.js";
import { canonicalTypes } from "./type-spelling.js";

/** Whether two texts of a type definition, both at `line` of the patched file, are one layout. */
export type SameLayout = (before: string, after: string, line: number) => boolean;

/**
 * A type whose `#if` branches the fix rearranges (dm-writecache.c's `struct wc_entry`: the
 * bitfield widths moved from inside each member to whole-member branches) is the same layout
 * when both texts, preprocessed with the macros in force where the patched file defines it
 * (the TU's `-dD` lines before that line), are the same types. Texts without a directive are
 * compared as they are (touched.ts), never preprocessed.
 */
export function sameLayoutInTu(ctx: TuContext): SameLayout {
  const main = [...ctx.markerToRel].find(([, rel]) => rel === ctx.relPath)?.[0];
  return (before, after, line) => {
    if (!main || !/^\s*#\s*(?:if|else|elif|endif)/m.test(`${before}\n${after}`)) return false;
    const defines = macrosBefore(ctx.tu.text, main, line);
    const expand = (text: string) => {
      const r = run(["gcc", "-E", "-P", "-w", "-undef", "-x", "c", "-"], ctx.compileCwd ?? ".", `${defines}\n${text}\n`);
      return r.status === 0 ? canonicalTypes(r.stdout).replace(/\s+/g, " ").trim() : undefined;
    };
    const a = expand(before);
    return a !== undefined && a === expand(after);
  };
}

/** The #define and #undef lines of a `-dD` TU text before `line` of `file` (as line markers name it). */
function macrosBefore(text: string, file: string, line: number): string {
  const out: string[] = [];
  let current = "";
  let at = 0;
  for (const l of text.split("\n")) {
    const marker = /^# (\d+) "((?:[^"\\]|\\.)*)"/.exec(l);
    if (marker) {
      current = marker[2]!;
      at = Number(marker[1]);
      continue;
    }
    if (current === file && at >= line) break;
    if (/^#\s*(?:define|undef)\b/.test(l)) out.push(l);
    at++;
  }
  return out.join("\n");
}
