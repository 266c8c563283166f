// Seeded mutations for the fuzz tests: a few line-level edits per input
// (delete, duplicate, truncate, insert a nasty token, change a byte, move,
// cut the rest), reproducible from the seed.

/** mulberry32: small, seedable, good enough to pick mutations. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY = ["", ";", "../", "/etc/", "\"a/\\303\\251\"", ";;;;;;;;;;;;", "\0", "\t", "@@ -1 +1 @@", "--- a/x\n+++ b/x\n", "Callgraph clone", "Callgraph removal", "0x", "ffffffff", "[", "]", "\uFFFD", "-1", "999999999999999999999", "NaN", "\r\n"];

export function mutate(text: string, r: () => number): string {
  const lines = text.split("\n");
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const i = Math.floor(r() * Math.max(lines.length, 1));
    const line = lines[i] ?? "";
    switch (Math.floor(r() * 7)) {
      case 0: lines.splice(i, 1); break;
      case 1: lines.splice(i, 0, line); break;
      case 2: lines[i] = line.slice(0, Math.floor(r() * line.length)); break;
      case 3: {
        const at = Math.floor(r() * (line.length + 1));
        lines[i] = line.slice(0, at) + NASTY[Math.floor(r() * NASTY.length)] + line.slice(at);
        break;
      }
      case 4: {
        const chars = line.split("");
        if (chars.length) chars[Math.floor(r() * chars.length)] = String.fromCharCode(Math.floor(r() * 128));
        lines[i] = chars.join("");
        break;
      }
      case 5: lines.splice(Math.floor(r() * lines.length), 0, lines[Math.floor(r() * lines.length)] ?? ""); break;
      default: lines.length = Math.floor(r() * lines.length);
    }
  }
  return lines.join("\n");
}
