import { Command, CommanderError } from "commander";
import { EXIT_BAD_INPUT, EXIT_INTERNAL } from "./exit-codes.js";
import { extractCommand } from "./extract.js";
import { fixupCommand } from "./fixup.js";
import { ipaClonesCommand } from "./ipa-clones.js";
import { prepareCommand } from "./prepare.js";
import { explainCommand } from "./explain.js";

/**
 * commander's own errors (unknown option, bad choice, missing argument) as
 * KLP-E019 diagnostics with a hint, and thrown instead of exiting (main maps
 * them to exit 2).
 */
function usageErrors(command: Command): Command {
  const name = command.name() === "klp-ccp" ? "klp-ccp" : `klp-ccp ${command.name()}`;
  return command
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`error KLP-E019: ${text.replace(/^error: /, "")}`) })
    .showHelpAfterError(`  hint: see \`${name} --help\``);
}

/** The klp-ccp program. Returns the exit code (see exit-codes.ts). */
export async function main(argv: string[]): Promise<number> {
  let exit = 0;
  const setExit = (code: number) => {
    exit = code;
  };
  const program = new Command("klp-ccp")
    .description("write Linux kernel livepatch modules from a source fix")
    .version("0.1.0")
    .addCommand(usageErrors(extractCommand(setExit)))
    .addCommand(usageErrors(prepareCommand(setExit)))
    .addCommand(usageErrors(explainCommand(setExit)))
    .addCommand(usageErrors(ipaClonesCommand(setExit)))
    .addCommand(usageErrors(fixupCommand(setExit)));
  usageErrors(program);
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    }
    process.stderr.write(`klp-ccp: internal error (a bug, please report it): ${e instanceof Error ? e.stack : String(e)}\n`);
    return EXIT_INTERNAL;
  }
  return exit;
}
