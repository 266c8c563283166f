import { readFileSync } from "node:fs";
import { Command } from "commander";
import { DiagnosticSink } from "../diagnostics/diagnostic.js";
import { printDiagnostic } from "./print.js";
import { readIpaClones } from "../input/ipa-clones.js";
import { unreadableReason } from "../util/readable.js";
import { ipaTree, type IpaTreeNode } from "../closure/ipa-tree.js";
import { EXIT_BAD_INPUT, EXIT_OK, exitCodeFor } from "./exit-codes.js";

/** `klp-ccp ipa-clones --symbol NAME DUMP...`: where gcc put a function's code. */
export function ipaClonesCommand(setExit: (code: number) => void): Command {
  return new Command("ipa-clones")
    .description("print the clone/inline tree of a function from -fdump-ipa-clones dumps, and the functions its code ended up in")
    .requiredOption("--symbol <name>", "function to look up")
    .option("--json", "machine-readable output")
    .argument("<dump...>", ".000i.ipa-clones files")
    .action((dumps: string[], flags: { symbol: string; json?: boolean }) => {
      const sink = new DiagnosticSink();
      const results = [];
      for (const dump of dumps) {
        const problem = unreadableReason(dump, "file");
        if (problem) {
          sink.report({ code: "KLP-E004", severity: "error", message: `${dump}: ${problem}`, hint: "pass -fdump-ipa-clones dumps (<file>.c.000i.ipa-clones)" });
          continue;
        }
        results.push({ dump, ...ipaTree(readIpaClones(dump, readFileSync(dump, "utf8"), sink), flags.symbol) });
      }
      for (const d of sink.items) printDiagnostic(d);
      if (sink.hasErrors) return setExit(exitCodeFor(sink.items) || EXIT_BAD_INPUT);
      if (flags.json) process.stdout.write(`${JSON.stringify({ symbol: flags.symbol, dumps: results }, null, 2)}\n`);
      else for (const r of results) process.stdout.write(formatTree(r.dump, r.roots, r.affected, flags.symbol));
      setExit(EXIT_OK);
    });
}

function formatTree(dump: string, roots: IpaTreeNode[], affected: string[], symbol: string): string {
  if (roots.length === 0) return `${dump}: ${symbol} is neither cloned nor inlined in this TU\n`;
  const lines = [`${dump}:`];
  const walk = (n: IpaTreeNode, depth: number) => {
    const mark = n.removed ? " [removed]" : "";
    const via = n.via === "symbol" ? "" : `${n.via} `;
    lines.push(`${"  ".repeat(depth + 1)}${via}${n.name} (order ${n.order}, ${n.file}:${n.line})${mark}`);
    n.children.forEach((c) => walk(c, depth + 1));
  };
  roots.forEach((r) => walk(r, 0));
  lines.push(`  affected: ${affected.join(", ") || "-"}`);
  return `${lines.join("\n")}\n`;
}
