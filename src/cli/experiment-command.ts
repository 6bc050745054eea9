/** The `advx experiment` parent command; each experiment adds itself as a subcommand. */
import type { Command } from 'commander';

/** Returns the `experiment` command of `program`, creating it on first use. */
export function getExperimentCommand(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === 'experiment');
  if (existing !== undefined) return existing;
  return program
    .command('experiment')
    .description("the book's experiments: noise sweep, PGD on noise, transfer, robustness");
}
