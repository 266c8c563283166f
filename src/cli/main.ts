import { Command, CommanderError } from "commander";
import { EXIT_BAD_INPUT } from "./exit-codes.js";
import { extractCommand } from "./extract.js";
import { fixupCommand } from "./fixup.js";
import { ipaClonesCommand } from "./ipa-clones.js";
import { prepareCommand } from "./prepare.js";
import { explainCommand } from "./explain.js";

/** The klp-ccp program. Returns the exit code (see exit-codes.ts). */
export async function main(argv: string[]): Promise<number> {
  let exit = 0;
  const setExit = (code: number) => {
    exit = code;
  };
  const program = new Command("klp-ccp")
    .description("write Linux kernel livepatch modules from a source fix")
    .version("0.1.0")
    .exitOverride()
    .showHelpAfterError("(see --help)")
    .addCommand(extractCommand(setExit).exitOverride())
    .addCommand(prepareCommand(setExit).exitOverride())
    .addCommand(explainCommand(setExit).exitOverride())
    .addCommand(ipaClonesCommand(setExit).exitOverride())
    .addCommand(fixupCommand(setExit).exitOverride());
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    }
    process.stderr.write(`klp-ccp: internal error (a bug, please report it): ${e instanceof Error ? e.stack : String(e)}\n`);
    return 3;
  }
  return exit;
}
