import type { NameSpace, PpDecl, SyntaxNode } from "../model/syntax.js";
import type { TranslationUnit } from "../model/tu.js";
import { freeReferences } from "../resolve/free-references.js";

/** A private type definition a member access of the copied code needs, and the function that made the access. */
export interface MemberTypeNeed {
  decls: PpDecl[];
  via: string;
}

/**
 * The types behind member-access chains through kernel-header structs.
 * `NFS_SERVER(ino)->pnfs_curr_ld->return_range` names no type between its
 * links: struct nfs_server is a header's (the module gets it), but its member
 * pnfs_curr_ld points to struct pnfs_layoutdriver_type, which only the
 * private fs/nfs/pnfs.h defines, and the dereference needs that definition.
 * Every header struct/union/typedef the closure reaches is read for the
 * members the copied code accesses (by member name: `->f`, `.f`,
 * `offsetof(T, f)`); a member type defined in a header is read the same way
 * (a chain through several header structs), one defined in the TU's own
 * files is handed back to be copied. A header's type is never copied.
 */
export class MemberTypes {
  /** Member name → the copied function that first accessed it. */
  private readonly accessed = new Map<string, string>();
  /** Header types reached, "tag:name" / "ordinary:name". */
  private readonly reached = new Set<string>();
  /** Those of reached read since the last new member name. */
  private readonly read = new Set<string>();
  /** How many member names `read` has matched. */
  private matched = 0;
  /** Private types already handed out. */
  private readonly handed = new Set<string>();
  /** Header functions and variables whose types are still to be added to reached. */
  private readonly symbols = new Set<PpDecl>();

  constructor(private readonly ctx: TranslationUnit) {}

  /** Records the members a copied declaration accesses. */
  addAccesses(node: SyntaxNode, via: string): void {
    const c = node.walk();
    for (;;) {
      if (c.nodeType === "field_identifier" && (c.currentFieldName === "field" || c.currentFieldName === "member") && !this.accessed.has(c.nodeText)) this.accessed.set(c.nodeText, via);
      if (c.gotoFirstChild()) continue;
      while (!c.gotoNextSibling()) if (!c.gotoParent()) return;
    }
  }

  /** Records a header type the closure reached (a tag, or a typedef name). */
  addHeaderType(name: string, namespace: NameSpace): void {
    this.reached.add(`${namespace}:${name}`);
  }

  /** Records a header's function or variable the closure reached: its type may start a chain (`init_net.x->y`, `f()->x`). */
  addHeaderSymbol(d: PpDecl): void {
    this.symbols.add(d);
  }

  /** The private definitions not handed out before that the accesses recorded so far need. */
  next(): MemberTypeNeed[] {
    if (this.accessed.size === 0) return [];
    for (const d of this.symbols) {
      const type = d.node.childForFieldName("type");
      if (type) for (const r of freeReferences(type)) this.addHeaderType(r.name, r.namespace);
    }
    this.symbols.clear();
    if (this.accessed.size !== this.matched) {
      // New member names: every reached type is read again.
      this.matched = this.accessed.size;
      this.read.clear();
    }
    const out: MemberTypeNeed[] = [];
    for (let more = true; more; ) {
      more = false;
      for (const key of [...this.reached]) {
        if (this.read.has(key)) continue;
        this.read.add(key);
        more = true;
        const [namespace, name] = key.split(":") as [NameSpace, string];
        for (const d of this.definitions(name, namespace)) this.readType(d, out);
      }
    }
    return out;
  }

  private definitions(name: string, namespace: NameSpace): PpDecl[] {
    return (this.ctx.tu.decls.get(name) ?? []).filter((d) => d.namespace === namespace && (d.kind === "typedef" || (d.kind === "tag" && bodyOf(d.node, name) !== null)));
  }

  /** Reads one header definition: the types of its accessed members, and for a typedef the type it names. */
  private readType(d: PpDecl, out: MemberTypeNeed[]): void {
    if (d.kind === "typedef") {
      const type = d.node.childForFieldName("type");
      if (type && !type.childForFieldName("body")) for (const r of freeReferences(type)) this.resolve(r.name, r.namespace, "", out);
    }
    const body = d.kind === "tag" ? bodyOf(d.node, d.name) : d.node.childForFieldName("type")?.childForFieldName("body");
    if (!body) return;
    for (const field of fieldDeclarations(body)) {
      const via = fieldNames(field).map((n) => this.accessed.get(n)).find((v) => v !== undefined);
      const type = field.childForFieldName("type");
      if (via === undefined || !type || type.childForFieldName("body")) continue;
      for (const r of freeReferences(type)) this.resolve(r.name, r.namespace, via, out);
    }
  }

  /** A member's type: a header's is read in turn, the TU's own is handed out. */
  private resolve(name: string, namespace: NameSpace, via: string, out: MemberTypeNeed[]): void {
    const defs = this.definitions(name, namespace);
    const own = defs.filter((d) => this.ctx.homeOf(d) !== "header");
    if (own.length === 0) {
      if (defs.length) this.addHeaderType(name, namespace);
      return;
    }
    const key = `${namespace}:${name}`;
    if (this.handed.has(key)) return;
    this.handed.add(key);
    const all = (this.ctx.tu.decls.get(name) ?? []).filter((d) => d.namespace === namespace && this.ctx.homeOf(d) !== "header");
    out.push({ decls: all, via });
  }
}

/** The member list of the struct/union `name` the node defines. */
function bodyOf(node: SyntaxNode, name: string): SyntaxNode | null {
  const stack = [node];
  while (stack.length) {
    const n = stack.pop()!;
    if ((n.type === "struct_specifier" || n.type === "union_specifier") && n.childForFieldName("name")?.text === name) {
      const body = n.childForFieldName("body");
      if (body) return body;
    }
    if (n.type !== "field_declaration_list" && n.type !== "compound_statement") stack.push(...n.namedChildren);
  }
  return null;
}

/** A member list's declarations, those of anonymous (or nested) struct/union members included. */
function fieldDeclarations(body: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (const f of body.namedChildren) {
    if (f.type !== "field_declaration") continue;
    out.push(f);
    const inner = f.childForFieldName("type")?.childForFieldName("body");
    if (inner) out.push(...fieldDeclarations(inner));
  }
  return out;
}

/** The member names a field declaration declares. */
function fieldNames(field: SyntaxNode): string[] {
  const names: string[] = [];
  for (const d of field.childrenForFieldName("declarator")) {
    const stack = [d];
    while (stack.length) {
      const n = stack.pop()!;
      if (n.type === "field_identifier") {
        names.push(n.text);
        break;
      }
      if (n.type !== "parameter_list") stack.push(...n.namedChildren);
    }
  }
  return names;
}
