/** The tokens of function `name`'s definition in preprocessed text (from its name to its closing brace). */
export function functionTokens(text: string, name: string): string[] {
  const tokens: string[] = text.match(/[A-Za-z_$][\w$]*|\d[\w.]*|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|->|\+\+|--|<<|>>|[<>=!]=|&&|\|\||\S/g) ?? [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === "{") depth++;
    else if (t === "}") depth--;
    if (depth !== 0 || t !== name || tokens[i + 1] !== "(") continue;
    // A definition: the parameter list is followed by `{` (maybe after attributes), not `;` or `,`.
    let j = i + 1;
    for (let paren = 0; j < tokens.length; j++) {
      if (tokens[j] === "(") paren++;
      else if (tokens[j] === ")" && --paren === 0) break;
    }
    const open = tokens.indexOf("{", j);
    if (open < 0 || tokens.slice(j + 1, open).some((x) => x === ";" || x === ",")) continue;
    let k = open;
    for (let d = 0; k < tokens.length; k++) {
      if (tokens[k] === "{") d++;
      else if (tokens[k] === "}" && --d === 0) break;
    }
    return tokens.slice(i, k + 1);
  }
  return [];
}
