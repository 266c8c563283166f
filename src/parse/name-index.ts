/**
 * A multimap from a name's 32-bit hash to small integers (chunk or line
 * numbers), in typed arrays: indexing hundreds of thousands of names costs
 * no string allocation. A lookup gives a superset of the values added under
 * that exact name (hash collisions add a few more); callers check the names.
 */
export class NameIndex {
  /** An index as state() left it (the arrays are taken, not copied). */
  static fromState(st: NameIndexState): NameIndex {
    const n = new NameIndex(4);
    n.slots = st.slots;
    n.hashes = st.hashes;
    n.mask = st.slots.length - 1;
    n.used = st.used;
    // Room to grow, as entry() expects.
    n.values = new Int32Array(Math.max(1 << 14, st.values.length * 2));
    n.values.set(st.values);
    n.next = new Int32Array(n.values.length);
    n.next.set(st.next);
    n.count = st.values.length;
    return n;
  }

  private slots: Int32Array;
  private hashes: Int32Array;
  private mask: number;
  private used = 0;
  private values = new Int32Array(1 << 14);
  private next = new Int32Array(1 << 14);
  private count = 0;

  constructor(capacityPow2 = 16) {
    this.slots = new Int32Array(1 << capacityPow2).fill(-1);
    this.hashes = new Int32Array(1 << capacityPow2);
    this.mask = (1 << capacityPow2) - 1;
  }

  /** Adds `value` under `hash`, unless it is the value most recently added under it. */
  add(hash: number, value: number): void {
    let slot = hash & this.mask;
    for (;;) {
      const head = this.slots[slot]!;
      if (head < 0) break;
      if (this.hashes[slot] === hash) {
        if (this.values[head] === value) return;
        this.slots[slot] = this.entry(value, head);
        return;
      }
      slot = (slot + 1) & this.mask;
    }
    this.hashes[slot] = hash;
    this.slots[slot] = this.entry(value, -1);
    if (++this.used * 2 > this.mask) this.grow();
  }

  /** The values added under `hash`, in the order they were added. */
  get(hash: number): number[] {
    let slot = hash & this.mask;
    for (;;) {
      const head = this.slots[slot]!;
      if (head < 0) return [];
      if (this.hashes[slot] === hash) {
        const out: number[] = [];
        for (let e = head; e >= 0; e = this.next[e]!) out.push(this.values[e]!);
        return out.reverse();
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** A copy of the index as plain arrays (to keep it on disk, see scan-snapshot.ts). */
  state(): NameIndexState {
    return { slots: this.slots.slice(), hashes: this.hashes.slice(), used: this.used, values: this.values.slice(0, this.count), next: this.next.slice(0, this.count) };
  }

  private entry(value: number, next: number): number {
    if (this.count === this.values.length) {
      const v = new Int32Array(this.count * 2);
      v.set(this.values);
      this.values = v;
      const n = new Int32Array(this.count * 2);
      n.set(this.next);
      this.next = n;
    }
    this.values[this.count] = value;
    this.next[this.count] = next;
    return this.count++;
  }

  private grow(): void {
    const oldSlots = this.slots;
    const oldHashes = this.hashes;
    const size = oldSlots.length * 2;
    this.slots = new Int32Array(size).fill(-1);
    this.hashes = new Int32Array(size);
    this.mask = size - 1;
    for (let i = 0; i < oldSlots.length; i++) {
      if (oldSlots[i]! < 0) continue;
      let slot = oldHashes[i]! & this.mask;
      while (this.slots[slot]! >= 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = oldSlots[i]!;
      this.hashes[slot] = oldHashes[i]!;
    }
  }
}

/** NameIndex's content: the hash table (slots → chain heads) and the chained entries. */
export interface NameIndexState {
  slots: Int32Array;
  hashes: Int32Array;
  /** Slots in use. */
  used: number;
  values: Int32Array;
  next: Int32Array;
}

export const FNV_BASIS = 0x811c9dc5;
export const FNV_PRIME = 16777619;

/** FNV-1a over the UTF-16 code units of s[a, b) (the scan computes the same hash as it reads identifiers). */
export function hashName(s: string, a = 0, b = s.length): number {
  let h = FNV_BASIS;
  for (let i = a; i < b; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h | 0;
}
