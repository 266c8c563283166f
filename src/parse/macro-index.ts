import type { MacroIndex, PpMacro } from "../model/syntax.js";
import type { LineMap } from "./line-markers.js";
import { hashName } from "./name-index.js";
import type { TuScan } from "./tu-scan.js";

/** The live macro definitions (`gcc -dD`), looked up by name. */
export class Macros implements MacroIndex {
  private readonly byName = new Map<string, PpMacro[] | null>();

  constructor(
    private readonly scan: TuScan,
    private readonly lines: LineMap,
  ) {}

  get(name: string): PpMacro[] | undefined {
    const hit = this.byName.get(name);
    if (hit !== undefined) return hit ?? undefined;
    const d = this.scan.defines;
    const text = this.scan.text;
    const out: PpMacro[] = [];
    for (const i of d.byName.get(hashName(name))) {
      const nameStart = d.offsets[i]! + 8;
      if (d.nameEnds[i]! - nameStart !== name.length || !text.startsWith(name, nameStart)) continue;
      out.push(this.macro(i, name));
    }
    this.byName.set(name, out.length ? out : null);
    return out.length ? out : undefined;
  }

  all(): Map<string, PpMacro[]> {
    const d = this.scan.defines;
    const out = new Map<string, PpMacro[]>();
    for (let i = 0; i < d.offsets.length; i++) {
      const name = this.scan.text.slice(d.offsets[i]! + 8, d.nameEnds[i]!);
      const list = out.get(name) ?? [];
      list.push(this.macro(i, name));
      out.set(name, list);
    }
    return out;
  }

  private macro(i: number, name: string): PpMacro {
    const d = this.scan.defines;
    const o = this.lines.originOfLine(d.lines[i]!);
    return { name, file: o.file, line: o.line, definition: this.scan.text.slice(d.offsets[i]!, d.ends[i]!) };
  }
}
