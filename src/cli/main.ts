#!/usr/bin/env node
/**
 * The `advx` command line. Commands stay thin: parse options -> call the library -> render. Only the
 * command being run is loaded (command-table.ts); the others appear in `advx --help` from their
 * summaries (command-summaries.ts), so the program's own help and version need no tfjs.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, Help } from 'commander';
import { COMMAND_SUMMARIES } from './command-summaries.js';
import { COMMAND_NAMES, COMMANDS, commandOfArgs } from './command-table.js';
import { environmentHelp } from './environment-help.js';
import { reportError } from './errors.js';

/** A command listed in the program's help from its summary, not loaded. */
function addSummary(program: Command, name: string): void {
  program
    .command(name)
    .description(COMMAND_SUMMARIES[name].description)
    .action(() => {
      throw new Error(`advx: command '${name}' was not loaded`);
    });
}

/**
 * The program with the commands in `load` registered in full (default: all of them) and the others
 * as summaries.
 */
export async function buildProgram(load: readonly string[] = COMMAND_NAMES): Promise<Command> {
  const program = new Command();
  program
    .name('advx')
    .description('Adversarial examples for TensorFlow.js image classifiers')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText('after', environmentHelp())
    .configureHelp({
      subcommandTerm(this: Help, cmd: Command): string {
        const summary = summarized.has(cmd) ? COMMAND_SUMMARIES[cmd.name()] : undefined;
        return summary?.term ?? Help.prototype.subcommandTerm.call(this, cmd);
      },
    });
  const summarized = new Set<Command>();
  for (const name of COMMAND_NAMES) {
    if (load.includes(name)) {
      for (const register of await COMMANDS[name]()) register(program);
    } else {
      addSummary(program, name);
      summarized.add(program.commands[program.commands.length - 1]);
    }
  }
  for (const command of program.commands) command.exitOverride();
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  try {
    const command = commandOfArgs(argv.slice(2));
    if (command !== undefined) {
      const { tf } = await import('../engine/tf.js');
      tf.env().set('PROD', true);
    }
    const program = await buildProgram(command === undefined ? [] : [command]);
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help')
      return 0;
    if (typeof code === 'string' && code.startsWith('commander.')) return 2;
    return reportError(error);
  }
}

function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
