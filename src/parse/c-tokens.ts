import { CLexer, TK_CHAR, TK_IDENT, TK_NUMBER, TK_STRING } from "./c-lexer.js";

/** One C token of preprocessed text, with the original place the line markers give it. */
export interface CToken {
  text: string;
  kind: "identifier" | "number" | "string" | "char" | "punctuator";
  /** Original file (as the line marker spells it) and 1-based line. */
  file: string;
  line: number;
}

/** The lexer's kinds as CToken's (unterminated literals, which -E output has not, count as punctuators). */
const KINDS: Record<number, CToken["kind"]> = { [TK_IDENT]: "identifier", [TK_NUMBER]: "number", [TK_STRING]: "string", [TK_CHAR]: "char" };

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
  // gcc -E keeps no comments; a block comment that -C would keep is skipped on its line.
  const lx = new CLexer(text, 0, text.length);
  while (lx.next()) out.push({ text: lx.text(), kind: KINDS[lx.kind] ?? "punctuator", file, line });
}

/** A function definition found in a token list: its name and the tokens from its first specifier to its closing brace. */
export interface TokenFunction {
  name: string;
  /** Index of the first token and one past the closing `}`. */
  start: number;
  end: number;
}

/** Words whose parenthesized group is not a parameter list. */
const NOT_A_NAME = new Set(["__attribute__", "__attribute", "__asm__", "__asm", "asm", "__typeof__", "__typeof", "typeof", "_Alignas", "__declspec", "sizeof", "_Static_assert", "__extension__"]);

/**
 * The file-scope function definitions of preprocessed C: a top-level `{`
 * whose declarator ends in a parameter list (after any attributes or asm
 * label), named by the identifier before the innermost-first parameter list.
 * A struct, union or enum body, an initializer and `_Static_assert` are not
 * functions. Enough for gcc -E output, which has no macros left.
 */
export function functionDefinitions(tokens: CToken[]): TokenFunction[] {
  const out: TokenFunction[] = [];
  let start = 0;
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!.text;
    if (t === "(" || t === "[") {
      i = closing(tokens, i) + 1;
      continue;
    }
    if (t === ";") {
      start = ++i;
      continue;
    }
    if (t !== "{") {
      i++;
      continue;
    }
    const end = closing(tokens, i) + 1;
    const name = declaredFunction(tokens, start, i);
    if (name) out.push({ name, start, end });
    // A function's body ends its definition; a struct body goes on to its declarators and `;`.
    i = end;
    if (name) start = i;
  }
  return out;
}

/** The index of the bracket that closes the one at `open` (the last token when unbalanced). */
function closing(tokens: CToken[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!.text;
    if (t === "(" || t === "[" || t === "{") depth++;
    else if ((t === ")" || t === "]" || t === "}") && --depth === 0) return i;
  }
  return tokens.length - 1;
}

/** The name a declaration (tokens from..to, before a `{`) gives a function; undefined when it declares none. */
function declaredFunction(tokens: CToken[], from: number, to: number): string | undefined {
  if (from >= to || tokens[from]!.text === "typedef") return undefined;
  let name: string | undefined;
  let depthOfName = Infinity;
  let last = "";
  const groups: number[] = [];
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (t.text === "=") return undefined;
    if (t.kind === "identifier" && NOT_A_NAME.has(t.text) && tokens[i + 1]?.text === "(") {
      i = closing(tokens, i + 1);
      continue;
    }
    if (t.text === "(") {
      const prev = tokens[i - 1];
      // `(*name(...))`: a declarator in parentheses, not a parameter list.
      const declarator = tokens[i + 1]?.text === "*" || tokens[i + 1]?.text === "^";
      if (prev?.kind === "identifier" && !declarator && groups.length < depthOfName) {
        name = prev.text;
        depthOfName = groups.length;
      }
      groups.push(i);
    } else if (t.text === ")") groups.pop();
    last = t.text;
  }
  return last === ")" ? name : undefined;
}
