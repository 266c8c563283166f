/*
 * The one normalisation table: the GNU C words tree-sitter-c lacks, and what
 * takes their place. normalize-preprocessed.ts applies it to text (offsets
 * kept), skim-tokens.ts to tokens: both read it from here.
 */

/** Words that, followed by a parenthesised group, are replaced with the group by a stand-in ("" blanks them). */
export const WITH_GROUP: ReadonlyMap<string, string> = new Map([
  ["__attribute__", ""], ["__attribute", ""], ["_Static_assert", ""],
  ["typeof", "int"], ["__typeof__", "int"], ["__typeof", "int"],
  ["__builtin_offsetof", "0"], ["__builtin_types_compatible_p", "0"], ["__builtin_va_arg", "0"],
]);

/** Words replaced by another word ("" blanks them). `asm inline` also loses its `inline`. */
export const WORDS: ReadonlyMap<string, string> = new Map([
  ["__extension__", ""], ["__restrict__", ""], ["__restrict", ""], ["__auto_type", "int"],
  ["__inline__", "inline"], ["__inline", "inline"], ["__signed__", "signed"], ["__volatile__", "volatile"],
  ["__const", "const"], ["__asm__", "asm"], ["__asm", "asm"],
]);
