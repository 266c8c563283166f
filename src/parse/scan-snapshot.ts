import type { LineMarker } from "./line-markers.js";
import type { NameIndexState } from "./name-index.js";
import type { ScanSnapshot } from "./scan-preprocessed.js";
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

export function decodeSnapshot(data: Buffer): ScanSnapshot {
  const { header: h, arrays } = decodeInt32Blob<{ length: number; curFile: string; files: string[]; used: [number, number] }>(data);
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
    markers[i] = { iLine: iLine[i]!, line: line[i]!, file: h.files[file[i]!]!, flags: f };
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
