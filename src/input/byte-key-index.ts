/**
 * An index from keys inside the raw bytes of a table file to the entries
 * (lines) that hold them, without making a string per line.
 *
 * kallsyms (~100k lines) and Module.symvers (~25k lines) are read on every run
 * and a livepatch asks for a few hundred names: a Map<string, …> of every line
 * cost ~150 ms of slicing and garbage collection per run, about as long as gcc
 * takes to preprocess a small TU. Here each entry is two integers in typed
 * arrays and a slot of an open-addressing hash table; strings are made only
 * for the names asked for. Keys are compared byte for byte (symbol names are
 * ASCII; other names are looked up by their UTF-8 bytes).
 */
export class ByteKeyIndex {
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly keyStart: Int32Array;
  private readonly keyEnd: Int32Array;
  /** Entries added so far; ids are 0 … count-1 in the order they were added. */
  count = 0;

  constructor(
    private readonly bytes: Buffer,
    /** The most entries there will be (the file's line count): the table never grows. */
    capacity: number,
    /** A finished index of these bytes (arrays() of an earlier one), taken as it is. */
    from?: { arrays: Int32Array[]; count: number },
  ) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    const [slots, keyStart, keyEnd] = from?.arrays ?? [new Int32Array(size).fill(-1), new Int32Array(capacity), new Int32Array(capacity)];
    this.slots = slots!;
    this.mask = this.slots.length - 1;
    this.keyStart = keyStart!;
    this.keyEnd = keyEnd!;
    this.count = from?.count ?? 0;
  }

  /** The index as arrays, to keep (index-cache.ts) and pass back to the constructor. */
  arrays(): Int32Array[] {
    return [this.slots, this.keyStart, this.keyEnd];
  }

  /**
   * Adds the next entry (id: `count` before the call), whose key is
   * bytes[start, end); returns the id of the first entry with the same key
   * (its own id when the key is new). No object per call: this runs per line.
   */
  add(start: number, end: number): number {
    const id = this.count++;
    if (id >= this.keyStart.length) throw new Error("ByteKeyIndex: more entries than its capacity"); // a broken invariant: callers count lines first
    this.keyStart[id] = start;
    this.keyEnd[id] = end;
    const b = this.bytes;
    let h = 0x811c9dc5;
    for (let k = start; k < end; k++) h = Math.imul(h ^ b[k]!, 0x01000193);
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const at = this.slots[s]!;
      if (at < 0) {
        this.slots[s] = id;
        return id;
      }
      if (this.sameKey(at, start, end)) return at;
    }
  }

  /** The first entry with key `name`, or -1. */
  find(name: string): number {
    const key = Buffer.from(name, "utf8");
    let h = 0x811c9dc5;
    for (let k = 0; k < key.length; k++) h = Math.imul(h ^ key[k]!, 0x01000193);
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const at = this.slots[s]!;
      if (at < 0) return -1;
      // A kept index is checked here, as it is read (validKeyIndex): an entry outside it or a key outside the bytes is no match.
      if (at >= this.count) continue;
      const start = this.keyStart[at]!;
      const end = this.keyEnd[at]!;
      if (end - start === key.length && start >= 0 && end <= this.bytes.length && this.bytes.compare(key, 0, key.length, start, end) === 0) return at;
    }
  }

  /** The key of entry `id`. */
  key(id: number): string {
    return this.bytes.toString("utf8", this.keyStart[id]!, this.keyEnd[id]!);
  }

  /** Each distinct key once, in the order of its first entry. */
  *keys(): IterableIterator<string> {
    for (let id = 0; id < this.count; id++) {
      const name = this.key(id);
      if (this.find(name) === id) yield name;
    }
  }

  private sameKey(id: number, start: number, end: number): boolean {
    const s = this.keyStart[id]!;
    const len = this.keyEnd[id]! - s;
    if (len !== end - start) return false;
    const b = this.bytes;
    for (let k = 0; k < len; k++) if (b[s + k] !== b[start + k]) return false;
    return true;
  }
}

/** Lines of `bytes` (a last line without "\n" counts), to size an index before filling it. */
export function countLines(bytes: Buffer): number {
  let n = 0;
  for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) n++;
  return bytes.length > 0 && bytes[bytes.length - 1] !== 10 ? n + 1 : n;
}

/** The line of `bytes` that starts at `start`, without its newline. */
export function lineText(bytes: Buffer, start: number): string {
  const e = bytes.indexOf(10, start);
  return bytes.toString("utf8", start, e < 0 ? bytes.length : e);
}

/** True when bytes[i, e) holds only blanks (space, tab, CR, VT, FF). */
export function isBlankLine(bytes: Buffer, i: number, e: number): boolean {
  for (let k = i; k < e; k++) {
    const c = bytes[k]!;
    if (c !== 32 && c !== 9 && c !== 13 && c !== 11 && c !== 12) return false;
  }
  return true;
}

/**
 * True when kept arrays (arrays() of an index of some bytes with `count`
 * entries) can be taken as they are without a lookup running away: a
 * power-of-two table with at least one empty slot (else find() would probe
 * forever). What the slots and keys point to is checked where a lookup
 * reads it (find()), which costs nothing per run; a scan of every number
 * here would cost ~10 ms before the JIT warms up.
 */
export function validKeyIndex(arrays: Int32Array[], count: number): boolean {
  const [slots, keyStart, keyEnd] = arrays;
  if (!slots || !keyStart || !keyEnd || !Number.isInteger(count) || count < 0 || keyStart.length < count || keyEnd.length < count) return false;
  return slots.length >= 16 && (slots.length & (slots.length - 1)) === 0 && slots.length >= count * 2 && slots.indexOf(-1) >= 0;
}
