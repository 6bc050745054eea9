#!/usr/bin/env node
/** The `advx` command line. Commands stay thin: parse options -> call the library -> render. */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { tf } from '../engine/tf.js';
import { reportError } from './errors.js';
// commands
import { registerAttackCommand } from './commands/attack.js';
import { registerPredictCommand } from './commands/predict.js';
import { registerTrainCommand } from './commands/train.js';
import { registerNoiseSweepCommand } from './commands/experiment-noise-sweep.js';
import { registerNoisePgdCommand } from './commands/experiment-noise-pgd.js';
import { registerTransferZooCommand } from './commands/experiment-transfer-zoo.js';
import { registerTransferCommand } from './commands/experiment-transfer.js';
import { registerReportCommand } from './commands/report.js';
import { registerRobustnessCommand } from './commands/experiment-robustness.js';
import { registerExportCommand } from './commands/export.js';
import { registerServeCommand } from './commands/serve.js';
import { registerModelsCommand } from './commands/models.js';
import { registerEvaluateCommand } from './commands/evaluate.js';
import { registerUiCommand } from './commands/ui.js';
import { registerWorkerCommand } from './commands/worker.js';
import { registerQueueCommand } from './commands/queue.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('advx')
    .description('Adversarial examples for TensorFlow.js image classifiers')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  // commands
  registerPredictCommand(program);
  registerAttackCommand(program);
  registerTrainCommand(program);
  registerNoiseSweepCommand(program);
  registerNoisePgdCommand(program);
  registerTransferZooCommand(program);
  registerTransferCommand(program);
  registerReportCommand(program);
  registerRobustnessCommand(program);
  registerExportCommand(program);
  registerServeCommand(program);
  registerModelsCommand(program);
  registerEvaluateCommand(program);
  registerUiCommand(program);
  registerWorkerCommand(program);
  registerQueueCommand(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  tf.env().set('PROD', true);
  try {
    await buildProgram().parseAsync(argv);
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
