/** What `advx experiment transfer` prints: a progress bar per phase, the matrix as text, or JSON. */
import type { TransferExperimentResult, TransferProgress } from '../experiments/transfer.js';
import type { TransferRun } from '../experiments/transfer-run.js';
import {
  transferDetails,
  transferJson,
  transferSummary,
  transferTable,
} from '../experiments/transfer-writers.js';
import { progressBar, type Progress } from './progress.js';
import { table } from './tables.js';

const PHASE_TITLES: Record<TransferProgress['phase'], string> = {
  train: 'training',
  craft: 'crafting',
  evaluate: 'evaluating',
};

/** One progress bar per phase (training, evaluating, crafting, evaluating), on stderr. */
export function transferPhaseBars(): { update: (p: TransferProgress) => void; stop: () => void } {
  let phase: TransferProgress['phase'] | null = null;
  let bar: Progress | null = null;
  return {
    update(p) {
      if (p.phase !== phase) {
        bar?.stop();
        phase = p.phase;
        bar = progressBar(PHASE_TITLES[p.phase]);
      }
      bar?.update(p.done, p.total, p.label);
    },
    stop() {
      bar?.stop();
    },
  };
}

export function renderTransferExperiment(result: TransferExperimentResult): string {
  const { head, rows } = transferTable(result);
  return [
    ...transferSummary(result),
    table(head, rows),
    ...transferDetails(result),
    `${result.seconds.toFixed(0)} s`,
  ].join('\n');
}

/** The --json document: the result as written to the JSON file, and the paths of the files. */
export function transferRunJson({ result, files }: TransferRun): string {
  return JSON.stringify({ ...JSON.parse(transferJson(result)), files }, null, 2) + '\n';
}
