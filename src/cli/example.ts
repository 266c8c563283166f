import { fileURLToPath } from "node:url";

/** The bundled example (examples/meminfo): real Debian 6.1 data, no kernel tree needed. */
export function exampleOptions() {
  const dir = fileURLToPath(new URL("../../examples/meminfo/", import.meta.url));
  return {
    patch: [`${dir}fix.patch`],
    src: `${dir}src`,
    build: `${dir}build`,
    preprocessed: `${dir}build/fs/proc/meminfo.i`,
    symbols: `${dir}kallsyms`,
    symvers: `${dir}Module.symvers`,
    ipaClones: `${dir}build`,
    name: "livepatch_meminfo",
  };
}
