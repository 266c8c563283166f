/** One C token of preprocessed text, with the original place the line markers give it. */
export interface CToken {
  text: string;
  kind: "identifier" | "number" | "string" | "char" | "punctuator";
  /** Original file (as the line marker spells it) and 1-based line. */
  file: string;
  line: number;
}

/** Punctuators, longest first: the first that matches is the token. */
const PUNCTUATORS = ["%:%:", "...", "<<=", ">>=", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "*=", "/=", "%=", "+=", "-=", "&=", "^=", "|=", "##", "<:", ":>", "<%", "%>", "%:"];

const TOKEN = new RegExp(
  [
    String.raw`(?<string>(?:u8|[LuU])?"(?:[^"\\\n]|\\.)*")`,
    String.raw`(?<char>[LuU]?'(?:[^'\\\n]|\\.)*')`,
    String.raw`(?<identifier>[A-Za-z_$][\w$]*)`,
    // A pp-number: digits, letters, dots, and signs after an exponent letter.
    String.raw`(?<number>\.?\d(?:[eEpP][+-]|[\w.])*)`,
    `(?<punctuator>${PUNCTUATORS.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")}|[^\\s])`,
  ].join("|"),
  "y",
);

/**
 * Splits preprocessed C (gcc -E output) into tokens, each placed by the
 * line markers (`# N "file"`). Lines that start with `#` are markers or
 * directives gcc keeps (`#pragma`, -dD's `#define`): they are not code and
 * give no tokens. `origin` places the text before its first marker (a slice
 * of a bigger .i).
 */
export function tokenizePreprocessed(text: string, origin: { file: string; line: number } = { file: "<unknown>", line: 1 }): CToken[] {
  const out: CToken[] = [];
  let file = origin.file;
  let line = origin.line;
  let at = 0;
  while (at < text.length) {
    const eol = text.indexOf("\n", at);
    const end = eol < 0 ? text.length : eol;
    const lineText = text.slice(at, end);
    const directive = /^\s*#/.test(lineText);
    if (directive) {
      const marker = /^#\s*(?:line\s+)?(\d+)\s+"((?:[^"\\]|\\.)*)"/.exec(lineText);
      if (marker) {
        file = marker[2]!;
        line = Number(marker[1]);
        at = end + 1;
        continue;
      }
    } else tokenizeLine(lineText, file, line, out);
    line++;
    at = end + 1;
  }
  return out;
}

function tokenizeLine(text: string, file: string, line: number, out: CToken[]): void {
  let at = 0;
  while (at < text.length) {
    const c = text.charCodeAt(at);
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      at++;
      continue;
    }
    // gcc -E keeps no comments; a block comment that -C would keep is skipped on its line.
    if (text.startsWith("/*", at)) {
      const close = text.indexOf("*/", at + 2);
      at = close < 0 ? text.length : close + 2;
      continue;
    }
    if (text.startsWith("//", at)) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text)!;
    const kind = (Object.keys(m.groups!) as Array<CToken["kind"]>).find((k) => m.groups![k] !== undefined)!;
    out.push({ text: m[0], kind, file, line });
    at += m[0].length;
  }
}
