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

const MARKER = /^# (\d+) "((?:[^"\\]|\\.)*)"((?: \d)*)\s*$/;

/** Maps .i offsets back to original files through gcc's line markers. */
export class LineMap {
  /** Offset where each .i line starts. */
  private readonly lineStarts: number[] = [];
  readonly markers: LineMarker[] = [];

  constructor(text: string) {
    let pos = 0;
    let iLine = 0;
    while (pos <= text.length) {
      this.lineStarts.push(pos);
      const nl = text.indexOf("\n", pos);
      const end = nl < 0 ? text.length : nl;
      if (text.charCodeAt(pos) === 35 /* # */) {
        const m = MARKER.exec(text.slice(pos, end));
        if (m) {
          const flags = m[3]!.trim() ? m[3]!.trim().split(" ").map(Number) : [];
          this.markers.push({ iLine, line: Number(m[1]), file: unescape(m[2]!), flags });
        }
      }
      if (nl < 0) break;
      pos = nl + 1;
      iLine++;
    }
  }

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
    const iLine = this.lineOfOffset(offset);
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

function unescape(s: string): string {
  return s.replace(/\\(.)/g, "$1");
}
