const MARKER = /^# \d+ "((?:[^"\\]|\\.)*)"/;

/**
 * Why a preprocessed TU's text cannot be the whole of gcc's output, or
 * undefined when it can: gcc ends its output with a newline and in the main
 * file (returning from an #include prints a marker back to it, even at the
 * end), and the main file is the one its first line marker names. A .i cut
 * short would otherwise look like a TU whose configuration compiles the
 * changed code out.
 */
export function incompleteTu(text: string): string | undefined {
  if (text.trim() === "") return "is empty";
  if (!text.endsWith("\n")) return "ends in the middle of a line";
  const first = MARKER.exec(text)?.[1];
  if (first === undefined) return undefined; // not gcc's shape at all: the caller's other checks say so
  const last = lastMarkerFile(text);
  if (last !== undefined && last !== first) return `ends inside ${JSON.stringify(last)}, not in the main file ${JSON.stringify(first)}`;
  return undefined;
}

/** The file named by the text's last line marker (searched from the end: a .i is megabytes). */
function lastMarkerFile(text: string): string | undefined {
  for (let at = text.length; at > 0; ) {
    const start = text.lastIndexOf("\n# ", at - 1);
    const lineStart = start < 0 ? 0 : start + 1;
    const m = MARKER.exec(text.slice(lineStart, text.indexOf("\n", lineStart)));
    if (m) return m[1];
    if (start < 0) return undefined;
    at = start;
  }
  return undefined;
}
