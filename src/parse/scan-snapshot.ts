import type { LineMarker } from "./line-markers.js";
import type { NameIndexState } from "./name-index.js";
import type { ScanSnapshot } from "./tu-scan.js";
import { decodeInt32Blob, encodeInt32Blob } from "../util/int32-blob.js";

/**
 * A ScanSnapshot as bytes and back (an int32 blob: line-marker file names and
 * scalars as JSON, the number arrays as int32). A TU's headers make ~10^5
 * lines, chunks and defines: as JSON they would take longer to read back
 * than scanning them again.
 */
export function encodeSnapshot(snap: ScanSnapshot): Buffer {
  const files: string[] = [];
  const fileIds = new Map<string, number>();
  const fileOf = (f: string) => {
    let id = fileIds.get(f);
    if (id === undefined) {
      id = files.length;
      files.push(f);
      fileIds.set(f, id);
    }
    return id;
  };
  const m = snap.markers;
  const arrays: Int32Array[] = [
    Int32Array.from(snap.lineStarts),
    Int32Array.from(m, (x) => x.iLine), Int32Array.from(m, (x) => x.line), Int32Array.from(m, (x) => fileOf(x.file)), Int32Array.from(m, (x) => flagBits(x.flags)),
    Int32Array.from(snap.defines.offsets), Int32Array.from(snap.defines.ends), Int32Array.from(snap.defines.nameEnds), Int32Array.from(snap.defines.lines),
    Int32Array.from(snap.includes, (x) => x.offset), Int32Array.from(snap.includes, (x) => x.iLine),
    Int32Array.from(snap.chunks.starts), Int32Array.from(snap.chunks.ends), Int32Array.from(snap.chunks.bodies), Int32Array.from(snap.chunks.lines), Int32Array.from(snap.chunks.mixed, (x) => (x ? 1 : 0)),
    ...indexArrays(snap.defines.byName), ...indexArrays(snap.candidates),
  ];
  return encodeInt32Blob({ length: snap.length, curFile: snap.curFile, files, used: [snap.defines.byName.used, snap.candidates.used] }, arrays);
}

/** The snapshot encodeSnapshot() wrote, or undefined when the bytes do not make a consistent one (validSnapshot). */
export function decodeSnapshot(data: Buffer): ScanSnapshot | undefined {
  let snap: ScanSnapshot;
  try {
    snap = decode(data);
  } catch {
    return undefined;
  }
  return validSnapshot(snap) ? snap : undefined;
}

function decode(data: Buffer): ScanSnapshot {
  const { header: h, arrays } = decodeInt32Blob<{ length: number; curFile: string; files: string[]; used: [number, number] }>(data);
  if (arrays.length !== 24 || !Array.isArray(h.files) || !h.files.every((f) => typeof f === "string") || typeof h.curFile !== "string" || !Array.isArray(h.used)) throw new Error("scan snapshot: bad header");
  const next = () => arrays.shift()!;
  // A plain loop: Array.from(typed array) is ~10x slower before the JIT warms up.
  const list = (a: Int32Array) => {
    const out = new Array<number>(a.length);
    for (let i = 0; i < a.length; i++) out[i] = a[i]!;
    return out;
  };
  const lineStarts = list(next());
  const [iLine, line, file, flags] = [next(), next(), next(), next()];
  // ~20000 markers: one flags array per combination of flags, shared (nothing changes them).
  const flagLists = new Map<number, number[]>();
  const markers = new Array<LineMarker>(iLine.length);
  for (let i = 0; i < iLine.length; i++) {
    const bits = flags[i]!;
    let f = flagLists.get(bits);
    if (!f) flagLists.set(bits, (f = bitFlags(bits)));
    const name = h.files[file[i]!];
    if (name === undefined) throw new Error("scan snapshot: bad file id");
    markers[i] = { iLine: iLine[i]!, line: line[i]!, file: name, flags: f };
  }
  const defines = { offsets: list(next()), ends: list(next()), nameEnds: list(next()), lines: list(next()) };
  const [incOffset, incLine] = [next(), next()];
  const includes = new Array<{ offset: number; iLine: number }>(incOffset.length);
  for (let i = 0; i < incOffset.length; i++) includes[i] = { offset: incOffset[i]!, iLine: incLine[i]! };
  const [starts, ends, bodies, lines, mixedBits] = [list(next()), list(next()), list(next()), list(next()), next()];
  const mixed = new Array<boolean>(mixedBits.length);
  for (let i = 0; i < mixedBits.length; i++) mixed[i] = mixedBits[i] === 1;
  const chunks = { starts, ends, bodies, lines, mixed };
  const index = (used: number): NameIndexState => ({ slots: next(), hashes: next(), values: next(), next: next(), used });
  return { length: h.length, lineStarts, markers, defines: { ...defines, byName: index(h.used[0]) }, includes, chunks, candidates: index(h.used[1]), curFile: h.curFile };
}

/**
 * True when every offset, line and index of the snapshot lies inside what it
 * points into, and its name indexes can be probed without running away (an
 * empty slot left, chains that only go back): a kept scan is used as it is.
 */
export function validSnapshot(s: ScanSnapshot): boolean {
  const { length, lineStarts, markers, defines: d, includes, chunks: c } = s;
  if (!Number.isInteger(length) || length < 0 || lineStarts[0] !== 0) return false;
  for (let i = 1; i < lineStarts.length; i++) if (!(lineStarts[i]! > lineStarts[i - 1]! && lineStarts[i]! <= length)) return false;
  const lines = lineStarts.length;
  const inLines = (v: number) => Number.isInteger(v) && v >= 0 && v < lines;
  let prev = 0;
  for (const m of markers) {
    if (!inLines(m.iLine) || m.iLine < prev || !(m.line >= 0)) return false;
    prev = m.iLine;
  }
  const n = d.offsets.length;
  if (d.ends.length !== n || d.nameEnds.length !== n || d.lines.length !== n) return false;
  for (let i = 0; i < n; i++) if (!(d.offsets[i]! >= 0 && d.offsets[i]! + 8 <= d.nameEnds[i]! && d.nameEnds[i]! <= d.ends[i]! && d.ends[i]! <= length && inLines(d.lines[i]!))) return false;
  for (const inc of includes) if (!(inc.offset >= 0 && inc.offset <= length && inLines(inc.iLine))) return false;
  const m = c.starts.length;
  if (c.ends.length !== m || c.bodies.length !== m || c.lines.length !== m || c.mixed.length !== m) return false;
  for (let i = 0; i < m; i++) {
    if (!(c.starts[i]! >= 0 && c.starts[i]! <= c.ends[i]! && c.ends[i]! <= length && inLines(c.lines[i]!))) return false;
    if (c.bodies[i] !== -1 && !(c.bodies[i]! >= c.starts[i]! && c.bodies[i]! <= c.ends[i]!)) return false;
  }
  return validNameIndex(d.byName, n) && validNameIndex(s.candidates, m);
}

/** A NameIndex's state whose values lie in [0, max] and whose lookups end. */
function validNameIndex(st: NameIndexState, max: number): boolean {
  const { slots, hashes, values, next, used } = st;
  if (slots.length < 2 || (slots.length & (slots.length - 1)) !== 0 || hashes.length !== slots.length || next.length !== values.length) return false;
  if (!Number.isInteger(used) || used < 0 || used * 2 > slots.length - 1) return false;
  let empty = 0;
  for (let i = 0; i < slots.length; i++) {
    if (slots[i]! < -1 || slots[i]! >= values.length) return false;
    if (slots[i] === -1) empty++;
  }
  if (empty === 0) return false;
  for (let e = 0; e < values.length; e++) if (values[e]! < 0 || values[e]! > max || next[e]! < -1 || next[e]! >= e) return false;
  return true;
}

function indexArrays(st: NameIndexState): Int32Array[] {
  return [st.slots, st.hashes, st.values, st.next];
}

/** A marker's flags (1 to 4, in order) as bits. */
function flagBits(flags: number[]): number {
  let bits = 0;
  for (const f of flags) bits |= 1 << f;
  return bits;
}

function bitFlags(bits: number): number[] {
  const out: number[] = [];
  for (let f = 0; f < 31; f++) if (bits & (1 << f)) out.push(f);
  return out;
}
