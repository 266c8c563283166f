import { join } from "node:path";

/**
 * The -I options that make the compiler find a fix's patched headers (written
 * under `tree` at their source paths) before the source tree's: one per
 * include root that holds one (include/, include/uapi/, arch/ARCH/include/,
 * arch/ARCH/include/uapi/), in the order given. Undefined when a header is
 * under no include root: a directory's private header (`#include "internal.h"`)
 * is found beside the .c file first, which no -I can come before.
 */
export function overlayIncludes(headers: string[], tree: string): string[] | undefined {
  const roots: string[] = [];
  for (const h of headers) {
    const root = /^((?:arch\/[^/]+\/)?include(?:\/uapi)?)\/./.exec(h)?.[1];
    if (!root) return undefined;
    if (!roots.includes(root)) roots.push(root);
  }
  return roots.map((r) => `-I${join(tree, r)}`);
}
