import type { NameSpace, PpDeclKind } from "../model/syntax.js";
import { isTypedefNamePrimitive } from "./declarators.js";
import { PRIMITIVE, QUALIFIER, RESERVED, SIZED, STORAGE, T_ID, T_PUNCT, matching, push, tokenize, type Tokens } from "./skim-tokens.js";

/** What one top-level declaration declares, as preprocessed-tu.ts records it (offsets into the .i). */
export interface DeclFact {
  name: string;
  namespace: NameSpace;
  kind: PpDeclKind;
  storage: "static" | "extern" | "none";
  inline: boolean;
  nameStart: number;
}

/** A chunk's top-level syntax node as tree-sitter would see it: where it starts and ends, and what it declares. */
export interface Skimmed {
  start: number;
  end: number;
  facts: DeclFact[];
}

/*
 * A token-level reading of one top-level chunk that gives exactly what
 * tree-sitter's tree of the normalised chunk gives declsOfTopLevel(), for the
 * shapes kernel headers are made of: declarations, function definitions,
 * typedefs, struct/union/enum definitions. Whatever it does not fully
 * understand it declines (undefined), and the caller parses the chunk with
 * tree-sitter instead; it must never guess. It reads the raw .i text and
 * applies normalize-preprocessed's edits itself, token by token (skim-tokens.ts).
 */

class Decline extends Error {}
const decline = (): never => {
  throw new Decline();
};

/**
 * Reads chunk [start, end) of the .i text (`body`: offset of its function
 * body's `{`, or -1). Undefined: ask tree-sitter.
 */
export function skimChunk(text: string, start: number, end: number, body: number): Skimmed | undefined {
  const toks = tokenize(text, start, body >= 0 ? body : end);
  if (!toks) return undefined;
  if (body >= 0) push(toks, T_PUNCT, body, body + 1, "{");
  try {
    return new Reader(toks, end, body >= 0).chunk();
  } catch (e) {
    if (e instanceof Decline) return undefined;
    throw e;
  }
}

class Reader {
  private p = 0;
  constructor(
    private readonly t: Tokens,
    private readonly chunkEnd: number,
    private readonly isFunction: boolean,
  ) {}

  private word(at = this.p): string | undefined {
    return this.t.text[at];
  }
  private isId(at = this.p): boolean {
    return this.t.kind[at] === T_ID;
  }
  private isPunct(ch: string, at = this.p): boolean {
    return this.t.kind[at] === T_PUNCT && this.t.text[at] === ch;
  }
  private get done(): boolean {
    return this.p >= this.t.kind.length;
  }

  chunk(): Skimmed {
    const t = this.t;
    if (t.kind.length === 0) decline();
    const start = t.start[0]!;
    const last = t.kind.length - 1;
    if (this.isFunction) {
      if (!this.isPunct("{", last)) decline();
    } else if (!this.isPunct(";", last) || t.end[last] !== this.chunkEnd) decline();
    // A lone `;` (what is left of a _Static_assert) or a file-scope asm statement declares nothing.
    if (!this.isFunction && (last === 0 || (this.word(0) === "asm" && this.isId(0) && this.isPunct("(", 1)))) return { start, end: this.chunkEnd, facts: [] };
    if (this.isId() && this.word() === "typedef") return this.typedef(start);
    return this.declaration(start);
  }

  private typedef(start: number): Skimmed {
    this.p++;
    const facts: DeclFact[] = [];
    while (this.isId() && QUALIFIER.has(this.word()!)) this.p++;
    const type = this.typeSpecifier();
    if (!type) decline();
    facts.push(...type!.tags);
    while (this.isId() && QUALIFIER.has(this.word()!)) this.p++;
    for (;;) {
      const d = this.declarator(true);
      if (d.name !== undefined) facts.push({ name: d.name, namespace: "ordinary", kind: "typedef", storage: "none", inline: false, nameStart: d.nameStart });
      if (this.isPunct(",")) {
        this.p++;
        continue;
      }
      if (this.isPunct(";") && this.p === this.t.kind.length - 1) break;
      decline();
    }
    return { start, end: this.chunkEnd, facts };
  }

  private declaration(start: number): Skimmed {
    const storage = new Set<string>();
    let modifiers = 0;
    let type: { tags: DeclFact[]; end: number } | undefined;
    for (;;) {
      if (this.done) decline();
      const w = this.word()!;
      if (this.isId() && STORAGE.has(w)) {
        storage.add(w);
        modifiers++;
        this.p++;
      } else if (this.isId() && QUALIFIER.has(w)) {
        modifiers++;
        this.p++;
      } else if (this.isId() && (w === "alignas" || w === "_Alignas")) {
        decline();
      } else if (!type) {
        type = this.typeSpecifier();
        if (!type) decline();
      } else break;
    }
    const st: DeclFact["storage"] = storage.has("static") ? "static" : storage.has("extern") ? "extern" : "none";
    const inline = storage.has("inline");
    const facts: DeclFact[] = [...type!.tags];
    if (this.isPunct(";")) {
      // `struct foo {...};`: the specifier itself is the top-level node.
      if (modifiers || this.isFunction || this.p !== this.t.kind.length - 1) decline();
      return { start, end: type!.end, facts };
    }
    for (let first = true; ; first = false) {
      const d = this.declarator(false);
      if (d.name === undefined) decline();
      if (this.isPunct("{")) {
        if (!first || !this.isFunction || this.p !== this.t.kind.length - 1) decline();
        facts.push({ name: d.name!, namespace: "ordinary", kind: "function", storage: st, inline, nameStart: d.nameStart });
        return { start, end: this.chunkEnd, facts };
      }
      if (this.isFunction) decline();
      const kind: PpDeclKind = d.isFunction ? "prototype" : st === "extern" ? "extern-variable" : "variable";
      facts.push({ name: d.name!, namespace: "ordinary", kind, storage: st, inline, nameStart: d.nameStart });
      if (this.isId() && this.word() === "asm" && this.isPunct("(", this.p + 1)) {
        const close = matching(this.t, this.p + 1);
        if (close < 0) decline();
        this.p = close + 1;
      }
      if (this.isPunct("=")) {
        // An initialiser: up to the next `,` or `;` outside brackets.
        let depth = 0;
        this.p++;
        for (; !this.done; this.p++) {
          if (this.t.kind[this.p] !== T_PUNCT) continue;
          const ch = this.word()!;
          if (ch === "(" || ch === "[" || ch === "{") depth++;
          else if (ch === ")" || ch === "]" || ch === "}") depth--;
          else if (depth === 0 && (ch === "," || ch === ";")) break;
        }
      }
      if (this.isPunct(",")) {
        this.p++;
        continue;
      }
      if (this.isPunct(";") && this.p === this.t.kind.length - 1) return { start, end: this.chunkEnd, facts };
      decline();
    }
  }

  /** The type specifier at p (advancing past it), with the tags and enumerators it defines. */
  private typeSpecifier(): { tags: DeclFact[]; end: number } | undefined {
    const w = this.word();
    if (!this.isId() || w === undefined) return undefined;
    if (w === "struct" || w === "union" || w === "enum") {
      const from = this.p;
      this.p++;
      let named = false;
      if (this.isId() && !RESERVED.has(this.word()!)) {
        named = true;
        this.p++;
      }
      if (w === "enum" && this.isPunct(":")) decline();
      if (this.isPunct("{")) {
        const close = matching(this.t, this.p);
        if (close < 0) decline();
        this.p = close + 1;
      } else if (!named) decline();
      return { tags: tagsIn(this.t, from, this.p), end: this.t.end[this.p - 1]! };
    }
    if (SIZED.has(w)) {
      while (this.isId() && (SIZED.has(this.word()!) || QUALIFIER.has(this.word()!))) this.p++;
      if (this.isId() && PRIMITIVE.has(this.word()!)) this.p++;
      else if (this.isId() && !RESERVED.has(this.word()!)) {
        // `unsigned foo_t x`: a type name only when a declarator follows it.
        if (this.isId(this.p + 1) || this.isPunct("*", this.p + 1)) this.p++;
      }
      if (this.isId() && SIZED.has(this.word()!)) decline();
      return { tags: [], end: this.t.end[this.p - 1]! };
    }
    if (PRIMITIVE.has(w)) {
      this.p++;
      if (this.isId() && SIZED.has(this.word()!)) decline();
      return { tags: [], end: this.t.end[this.p - 1]! };
    }
    if (RESERVED.has(w)) return undefined;
    // A type name, unless it is a macro-like `name(...)` or a lone name.
    if (this.isPunct("(", this.p + 1) || this.isPunct(";", this.p + 1)) decline();
    this.p++;
    return { tags: [], end: this.t.end[this.p - 1]! };
  }

  /**
   * One declarator: `*`s, a name or a parenthesised declarator, then `(...)`
   * and `[...]` suffixes. `isFunction` follows declaresFunction(): the name's
   * parent, parentheses skipped, is a function declarator. `bare`: nothing but
   * the name (in parentheses perhaps) at this level.
   */
  private declarator(inTypedef: boolean): { name: string | undefined; nameStart: number; isFunction: boolean; bare: boolean } {
    let ptrs = 0;
    while (this.isPunct("*")) {
      this.p++;
      ptrs++;
      while (this.isId() && QUALIFIER.has(this.word()!)) this.p++;
    }
    let inner: { name: string | undefined; nameStart: number; isFunction: boolean; bare: boolean };
    if (this.isId()) {
      const w = this.word()!;
      if (RESERVED.has(w)) {
        // A typedef may redeclare a primitive type's name (typedef _Bool bool, typedef ... size_t):
        // declared as declarators.ts reads it (a name unless it is a keyword).
        if (!inTypedef || !(PRIMITIVE.has(w) || SIZED.has(w))) decline();
        inner = { name: PRIMITIVE.has(w) && isTypedefNamePrimitive(w) ? w : undefined, nameStart: this.t.start[this.p]!, isFunction: false, bare: true };
      } else inner = { name: w, nameStart: this.t.start[this.p]!, isFunction: false, bare: true };
      this.p++;
    } else if (this.isPunct("(")) {
      this.p++;
      inner = this.declarator(inTypedef);
      if (!this.isPunct(")")) decline();
      this.p++;
    } else return decline();
    let first: string | undefined;
    while (this.isPunct("(") || this.isPunct("[")) {
      first ??= this.word();
      const close = matching(this.t, this.p);
      if (close < 0) decline();
      this.p = close + 1;
    }
    // What may follow a declarator: `,` `;` `=` `)` `{` or an asm label.
    if (!(this.isPunct(",") || this.isPunct(";") || this.isPunct("=") || this.isPunct(")") || this.isPunct("{") || (this.isId() && this.word() === "asm"))) decline();
    if (!inner.bare) return inner;
    if (first !== undefined) return { ...inner, isFunction: first === "(", bare: false };
    if (ptrs) return { ...inner, isFunction: false, bare: false };
    return inner;
  }
}

/**
 * tagsIn() of preprocessed-tu.ts on tokens [from, to): every struct/union/enum
 * with a body, in pre-order (a named one's tag, then an enum's enumerators,
 * then what nests inside); statement expressions are not looked into.
 */
function tagsIn(t: Tokens, from: number, to: number): DeclFact[] {
  const out: DeclFact[] = [];
  for (let u = from; u < to; u++) {
    const w = t.text[u];
    if (t.kind[u] === T_PUNCT && w === "(" && t.kind[u + 1] === T_PUNCT && t.text[u + 1] === "{") {
      const close = matching(t, u + 1);
      if (close < 0) decline();
      u = close;
      continue;
    }
    if (t.kind[u] !== T_ID || (w !== "struct" && w !== "union" && w !== "enum")) continue;
    let v = u + 1;
    let name = -1;
    if (t.kind[v] === T_ID && !RESERVED.has(t.text[v]!)) name = v++;
    if (!(t.kind[v] === T_PUNCT && t.text[v] === "{")) continue;
    if (name >= 0) out.push({ name: t.text[name]!, namespace: "tag", kind: "tag", storage: "none", inline: false, nameStart: t.start[name]! });
    if (w === "enum") {
      const close = matching(t, v);
      if (close < 0) decline();
      let item = true;
      let depth = 0;
      for (let x = v + 1; x < close; x++) {
        const k = t.kind[x];
        const p = t.text[x]!;
        if (k === T_PUNCT && (p === "(" || p === "[" || p === "{")) depth++;
        else if (k === T_PUNCT && (p === ")" || p === "]" || p === "}")) depth--;
        else if (depth === 0 && k === T_PUNCT && p === ",") item = true;
        else if (depth === 0 && item) {
          if (k !== T_ID || RESERVED.has(p)) decline();
          out.push({ name: p, namespace: "ordinary", kind: "enumerator", storage: "none", inline: false, nameStart: t.start[x]! });
          item = false;
          if (!(t.kind[x + 1] === T_PUNCT && (t.text[x + 1] === "," || t.text[x + 1] === "=" || x + 1 === close))) decline();
        }
      }
    }
    u = v;
  }
  return out;
}
