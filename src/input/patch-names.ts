/**
 * File names as a patch writes them, turned into paths relative to the
 * kernel tree, the way `patch -p1` would, and checked before anything is
 * read or written: a name that leaves the tree is refused, never resolved.
 */

/** A name of a `---`/`+++`/`rename from` line, before -p1. */
export type RawName = { kind: "dev-null" } | { kind: "name"; bytes: Buffer };

/** Why a name cannot be a path inside the kernel tree, or undefined when it can. */
export type NameProblem = "absolute" | "dot-dot" | "no-directory" | "empty";

/**
 * The name in a `--- NAME` / `+++ NAME` line (after the marker): git's
 * C-quoted form ("a/m\303\251m.c") is unquoted to its bytes; diff -u's
 * tab-separated timestamp is left out.
 */
export function headerName(field: Buffer): RawName {
  // A patch saved with CRLF line ends (a mail client): the CR is no part of the name.
  let bytes = field[field.length - 1] === 0x0d ? field.subarray(0, -1) : field;
  if (bytes[0] === 0x22 /* " */) {
    const unquoted = unquoteC(bytes);
    if (unquoted) bytes = unquoted;
  } else {
    const tab = bytes.indexOf(0x09);
    if (tab >= 0) bytes = bytes.subarray(0, tab);
    else bytes = stripTimestamp(bytes);
  }
  const text = bytes.toString("latin1");
  if (text === "/dev/null") return { kind: "dev-null" };
  return { kind: "name", bytes };
}

/**
 * `patch -p1`: the path after the first component (a/, b/, linux-6.1.orig/ ...).
 * Repeated slashes count as one, as GNU patch counts them.
 */
export function stripFirstComponent(bytes: Buffer): { path: Buffer } | { problem: NameProblem } {
  const parts = bytes.toString("latin1").split("/");
  if (parts[0] === "") return { problem: "absolute" };
  const rest = parts.slice(1).filter((p) => p !== "" && p !== ".");
  if (parts.length < 2) return { problem: "no-directory" };
  if (rest.length === 0) return { problem: "empty" };
  if (parts.includes("..")) return { problem: "dot-dot" };
  return { path: Buffer.from(rest.join("/"), "latin1") };
}

/** What to tell the user about a refused name. */
export function describeProblem(problem: NameProblem): string {
  switch (problem) {
    case "absolute":
      return "is an absolute path";
    case "dot-dot":
      return "has a `..` component (it would leave the source tree)";
    case "no-directory":
      return "has no leading directory (a/, b/) for `patch -p1` to strip";
    case "empty":
      return "names no file once its leading directory is stripped";
  }
}

/** The path as text: UTF-8 when it is valid UTF-8, else its bytes one per character (latin1). */
export function displayPath(bytes: Buffer): { path: string; latin1: boolean } {
  try {
    return { path: new TextDecoder("utf-8", { fatal: true }).decode(bytes), latin1: false };
  } catch {
    return { path: bytes.toString("latin1"), latin1: true };
  }
}

/** git's quoting (quote_c_style): \a \b \t \n \v \f \r \" \\ and three-digit octal bytes. */
function unquoteC(q: Buffer): Buffer | undefined {
  const out: number[] = [];
  const simple: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 0x22, "\\": 0x5c };
  for (let i = 1; i < q.length; i++) {
    const c = q[i]!;
    if (c === 0x22) return Buffer.from(out);
    if (c !== 0x5c) {
      out.push(c);
      continue;
    }
    const next = String.fromCharCode(q[i + 1] ?? 0);
    if (next in simple) {
      out.push(simple[next]!);
      i++;
    } else if (/^[0-3][0-7]{2}$/.test(q.subarray(i + 1, i + 4).toString("latin1"))) {
      out.push(parseInt(q.subarray(i + 1, i + 4).toString("latin1"), 8));
      i += 3;
    } else return undefined;
  }
  return undefined;
}

/** `diff -u` without a tab: `name 2024-01-02 03:04:05.000000000 +0100`. */
function stripTimestamp(bytes: Buffer): Buffer {
  const m = / +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [+-]\d{4}$/.exec(bytes.toString("latin1"));
  return m ? bytes.subarray(0, m.index) : bytes;
}
