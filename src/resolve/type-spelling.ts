import { CLexer } from "../parse/c-lexer.js";

/**
 * C code as tokens, with each spelling of an integer type reduced to one
 * (`unsigned` = `unsigned int`, `signed` = `int`, `long int` = `long`,
 * `short unsigned int` = `unsigned short`) and comments and whitespace gone:
 * two texts with the same result declare the same layout and types, so a
 * respelling is not a change a livepatch must refuse.
 */
export function canonicalTypes(code: string): string {
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length) out.push(integerType(run));
    run = [];
  };
  const lx = new CLexer(code);
  while (lx.next()) {
    const tok = lx.text();
    if (INTEGER_WORDS.has(tok)) {
      run.push(tok);
      continue;
    }
    flush();
    out.push(tok);
  }
  flush();
  return out.join(" ");
}

const INTEGER_WORDS = new Set(["signed", "unsigned", "short", "long", "int", "char"]);

/** One spelling per integer type; `signed char` stays apart from `char` (its signedness is the ABI's). */
function integerType(words: string[]): string {
  const has = (w: string) => words.includes(w);
  const longs = words.filter((w) => w === "long").length;
  if (has("char")) return has("unsigned") ? "unsigned char" : has("signed") ? "signed char" : "char";
  const base = has("short") ? "short" : longs === 1 ? "long" : longs >= 2 ? "long long" : "int";
  return has("unsigned") ? `unsigned ${base}` : base;
}
