// scripts/testbed/check-direct-calls.mjs MODULE.ko FUNCTION...
//
// What a boot under qemu's TCG cannot show on an IBT kernel (TCG does not enforce IBT): that
// the livepatch reaches each kernel FUNCTION by direct calls only. Every relocation against
// FUNCTION (`.klp.sym.OBJ.FUNCTION,POS` after fixup, in a livepatch relocation section, or
// FUNCTION itself) must be an R_X86_64_PLT32 or PC32 whose field follows a call (e8) or jmp
// (e9) opcode, and the module's C beside it must have no klpe_ pointer for FUNCTION.
// Prints one line per function; exit 0 when all hold, 1 otherwise. Uses dist/ (npm run build).
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { readElf, readRelas } from "../../dist/elf/read.js";
import { DiagnosticSink } from "../../dist/diagnostics/diagnostic.js";
import { SHT_RELA } from "../../dist/elf/format.js";

const [ko, ...fns] = process.argv.slice(2);
if (!ko || !fns.length) {
  console.log("usage: check-direct-calls.mjs MODULE.ko FUNCTION...");
  process.exit(2);
}
const buf = readFileSync(ko);
const sink = new DiagnosticSink();
const elf = readElf(buf, ko, sink);
const direct = new Map(fns.map((f) => [f, 0]));
const problems = [];
const nameOf = (sym) => {
  const m = /^\.klp\.sym\.[^.]+\.(.+),\d+$/.exec(sym.name);
  return m ? m[1] : sym.name;
};
for (const rs of elf.sections.filter((s) => s.type === SHT_RELA)) {
  const target = elf.sections[rs.info];
  for (const r of readRelas(buf, elf, rs, sink)) {
    const f = nameOf(elf.symbols[r.sym]);
    if (!direct.has(f)) continue;
    const at = Number(r.offset);
    const opcode = at > 0 && at <= target.size ? buf[target.offset + at - 1] : undefined;
    if ((r.type === 4 || r.type === 2) && (opcode === 0xe8 || opcode === 0xe9)) direct.set(f, direct.get(f) + 1);
    else problems.push(`${f}: not a direct call: relocation type ${r.type} in ${rs.name} at ${target.name}+0x${at.toString(16)} (opcode before it: ${opcode?.toString(16)})`);
  }
}
const sources = readdirSync(dirname(ko)).filter((f) => f.endsWith(".c")).map((f) => join(dirname(ko), f));
for (const [f, n] of direct) {
  if (n === 0) problems.push(`${f}: no direct call to it in ${ko}`);
  for (const c of sources) if (readFileSync(c, "utf8").includes(`(*klpe_${f})`)) problems.push(`${f}: ${c} reaches it through a klpe_ pointer`);
  console.log(`${f}: ${n} direct call(s)`);
}
for (const p of problems) console.log(p);
process.exit(problems.length ? 1 : 0);
