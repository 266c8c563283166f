/** Where a line of the preprocessed text came from. */
export interface LineOrigin {
  file: string;
  line: number;
}

/** A `# N "file" flags` line of the .i, parsed. */
export interface LineMarker {
  /** 0-based line of the marker in the .i. */
  iLine: number;
  /** Line number the marker gives to the next .i line. */
  line: number;
  file: string;
  flags: number[];
}

/** Maps .i offsets back to original files through gcc's line markers. */
export class LineMap {
  /**
   * @param lineStarts offset where each .i line starts
   * @param markers the line markers, in .i order
   */
  constructor(
    private readonly lineStarts: number[],
    readonly markers: LineMarker[],
  ) {}

  /** 0-based .i line of an offset. */
  lineOfOffset(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Original file and line of a .i offset. */
  origin(offset: number): LineOrigin {
    return this.originOfLine(this.lineOfOffset(offset));
  }

  /** Original file and line of a (0-based) .i line. */
  originOfLine(iLine: number): LineOrigin {
    let lo = 0;
    let hi = this.markers.length - 1;
    if (hi < 0 || this.markers[0]!.iLine > iLine) return { file: "<unknown>", line: 0 };
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.markers[mid]!.iLine <= iLine) lo = mid;
      else hi = mid - 1;
    }
    const m = this.markers[lo]!;
    return { file: m.file, line: m.line + (iLine - m.iLine - 1) };
  }
}

/**
 * What a .i text says, without its layout: each non-blank line that is not
 * a line marker as `file:line: text`, and each entering (`> file`) and
 * leaving (`< file`, back to it) of an #include. Two .i texts gcc laid out
 * differently (markers or blank lines between the same lines) give the same
 * list (the header cache's check, scripts/check-header-cache.mjs).
 */
export function originLines(text: string): string[] {
  const out: string[] = [];
  let file = "";
  let line = 0;
  for (const l of text.split("\n")) {
    const m = /^# (\d+) "((?:[^"\\]|\\.)*)"((?: \d)*)$/.exec(l);
    if (m) {
      file = m[2]!;
      line = Number(m[1]);
      if (m[3]!.includes(" 1")) out.push(`> ${file}`);
      else if (m[3]!.includes(" 2")) out.push(`< ${file}`);
      continue;
    }
    if (l.trim() !== "") out.push(`${file}:${line}: ${l}`);
    line++;
  }
  return out;
}
