/**
 * The top-level commands of `advx`, each with the registrations that define it, loaded on demand: a
 * command's module (and the library it pulls in: tfjs, ONNX Runtime, vega, BullMQ) is imported only
 * when that command runs or shows its own help. Order: as `advx --help` lists them.
 */
import type { Command } from 'commander';

export type Registration = (program: Command) => void;

export const COMMANDS: Record<string, () => Promise<Registration[]>> = {
  predict: async () => [(await import('./commands/predict.js')).registerPredictCommand],
  attack: async () => [(await import('./commands/attack.js')).registerAttackCommand],
  train: async () => {
    const [train, gan] = await Promise.all([
      import('./commands/train.js'),
      import('./commands/train-gan.js'),
    ]);
    return [train.registerTrainCommand, gan.registerTrainGanCommand]; // gan goes under train
  },
  experiment: async () => {
    const [noiseSweep, noisePgd, transferZoo, transfer, robustness] = await Promise.all([
      import('./commands/experiment-noise-sweep.js'),
      import('./commands/experiment-noise-pgd.js'),
      import('./commands/experiment-transfer-zoo.js'),
      import('./commands/experiment-transfer.js'),
      import('./commands/experiment-robustness.js'),
    ]);
    return [
      noiseSweep.registerNoiseSweepCommand,
      noisePgd.registerNoisePgdCommand,
      transferZoo.registerTransferZooCommand,
      transfer.registerTransferCommand,
      robustness.registerRobustnessCommand,
    ];
  },
  report: async () => [(await import('./commands/report.js')).registerReportCommand],
  export: async () => [(await import('./commands/export.js')).registerExportCommand],
  serve: async () => [(await import('./commands/serve.js')).registerServeCommand],
  models: async () => [(await import('./commands/models.js')).registerModelsCommand],
  evaluate: async () => [(await import('./commands/evaluate.js')).registerEvaluateCommand],
  ui: async () => [(await import('./commands/ui.js')).registerUiCommand],
  worker: async () => [(await import('./commands/worker.js')).registerWorkerCommand],
  queue: async () => [(await import('./commands/queue.js')).registerQueueCommand],
};

export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

/**
 * The command an argument list runs (`advx attack ...`, `advx help attack`), or undefined for the
 * program's own help, its version, or a word that names no command.
 */
export function commandOfArgs(args: readonly string[]): string | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  const word = words[0] === 'help' ? words[1] : words[0];
  return word !== undefined && Object.hasOwn(COMMANDS, word) ? word : undefined;
}
