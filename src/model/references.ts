import type { NameSpace } from "./syntax.js";

/** A use of a file-scope name inside a piece of code (locals already filtered out). */
export interface NameReference {
  name: string;
  namespace: NameSpace;
  /** Offset of the identifier in the text the node came from. */
  start: number;
  end: number;
  /** True when the identifier is the callee of a call expression. */
  isCall: boolean;
}
