import { readFileSync } from "node:fs";
import { Command } from "commander";
import { explain } from "../decide/explain.js";
import type { Report } from "../model/report.js";
import { DiagnosticSink } from "../diagnostics/diagnostic.js";
import { readReport } from "../input/report-json.js";
import { unreadableReason } from "../util/readable.js";
import { printDiagnostic } from "./print.js";
import { EXIT_BAD_INPUT, EXIT_OK } from "./exit-codes.js";

/** `klp-ccp explain SYMBOL --report OUTDIR/report.json`. */
export function explainCommand(setExit: (code: number) => void): Command {
  return new Command("explain")
    .description("print why a symbol is in a livepatch and how it is handled, from the changed line to the symbol")
    .argument("[symbol]", "function, variable or type name")
    .option("--all", "explain every symbol of the report (fails if one cannot be explained)")
    .requiredOption("--report <file>", "report.json written by extract")
    .option("--json", "machine-readable output")
    .action((symbol: string | undefined, flags: { report: string; json?: boolean; all?: boolean }) => {
      const sink = new DiagnosticSink();
      const problem = unreadableReason(flags.report, "file");
      if (problem) sink.report({ code: "KLP-E004", severity: "error", message: `--report ${flags.report}: ${problem}`, hint: "pass the report.json that extract wrote" });
      const report = problem ? undefined : readReport(flags.report, readFileSync(flags.report, "utf8"), sink);
      if (!report) {
        for (const d of sink.items) printDiagnostic(d);
        return setExit(EXIT_BAD_INPUT);
      }
      const symbols = flags.all ? allSymbols(report) : symbol ? [symbol] : [];
      if (symbols.length === 0) {
        process.stderr.write("error KLP-E019: name a symbol or pass --all\n");
        return setExit(EXIT_BAD_INPUT);
      }
      const answers = [];
      for (const name of symbols) {
        const steps = explain(report, name);
        if (!steps) {
          process.stderr.write(`${flags.report}: error KLP-E004: ${name} is not in this livepatch (neither replaced, copied, externalized nor referenced)\n`);
          return setExit(EXIT_BAD_INPUT);
        }
        answers.push({ symbol: name, steps });
      }
      if (flags.json) process.stdout.write(`${JSON.stringify(flags.all ? answers : answers[0], null, 2)}\n`);
      else for (const a of answers) process.stdout.write(`${a.steps.map((s) => `${s.name} (${s.handling})`).join("\n  → ")}\n`);
      setExit(EXIT_OK);
    });
}

/** Every name the report decides something about. */
function allSymbols(report: Report): string[] {
  const names = [
    ...report.patched.map((p) => p.function),
    ...report.externalized.map((e) => e.symbol),
    ...report.referenced.map((r) => r.symbol),
    ...report.copied,
  ];
  return [...new Set(names)].sort();
}
