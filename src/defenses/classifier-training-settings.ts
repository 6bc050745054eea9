/**
 * What defines a classifier training run (`advx train`): the data set, the architecture, the
 * hyper-parameters, the defense trained with (an adversarial recipe or VAT), and from these the command
 * line that reproduces the run and the options a checkpoint must match to be resumed; what a run tells
 * its observer and reports at the end.
 */
import { resolve } from 'node:path';
import { fashionMnistCnn } from '../train/architectures.js';
import { fashionMnistCnnWide } from '../train/wide-cnn.js';
import type { EpochSummary, TrainProgress } from '../train/train-classifier.js';
import type { TrainingRun } from '../train/training-session.js';
import type { ResolvedAdversarialTraining } from './adversarial-training.js';
import type { PgdRobustness } from './evaluation.js';
import type { VatEpochSummary } from './vat.js';

export const TRAIN_DATASETS = ['fashion-mnist'] as const;
export type TrainDataset = (typeof TRAIN_DATASETS)[number];

export const TRAIN_ARCHITECTURES = {
  'fashion-mnist-cnn': fashionMnistCnn,
  'fashion-mnist-cnn-wide': fashionMnistCnnWide,
} as const;
export type TrainArchitecture = keyof typeof TRAIN_ARCHITECTURES;

/** Virtual adversarial training settings (`--vat`): the first `labeled` training images keep their labels. */
export interface VatSettings {
  labeled: number;
  eps: number;
  alpha: number;
}

export interface ClassifierTrainingSettings {
  dataset: TrainDataset;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  limit?: number;
  /** --out as given (recorded in the training command). */
  out: string;
  force: boolean;
  arch: TrainArchitecture;
  /** Folder of a saved model whose weights training starts from. */
  init?: string;
  adversarial?: ResolvedAdversarialTraining;
  /** Test images for the PGD-20 robust accuracy measured after each epoch (0: none). */
  robustEval: number;
  resume: boolean;
  keepCheckpoint: boolean;
  vat?: VatSettings;
}

/** The command line that reproduces a run (recorded in model.json). */
export function classifierTrainingCommandLine(s: ClassifierTrainingSettings): string {
  const parts = [
    'advx train',
    `--dataset ${s.dataset}`,
    `--epochs ${s.epochs}`,
    `--batch-size ${s.batchSize}`,
  ];
  parts.push(`--learning-rate ${s.learningRate}`, `--seed ${s.seed}`);
  if (s.limit !== undefined) parts.push(`--limit ${s.limit}`);
  if (s.arch !== 'fashion-mnist-cnn') parts.push(`--arch ${s.arch}`);
  if (s.init !== undefined) parts.push(`--init ${s.init}`);
  const a = s.adversarial;
  if (a !== undefined) {
    parts.push(`--adversarial ${a.method}`, `--eps ${a.eps}`);
    if (a.method === 'pgd') parts.push(`--steps ${a.steps}`);
    parts.push(`--step-size ${a.stepSize}`);
    if (a.cleanFraction > 0) parts.push(`--clean-fraction ${a.cleanFraction}`);
  }
  if (s.vat !== undefined)
    parts.push('--vat', `--labeled ${s.vat.labeled}`, `--vat-eps ${s.vat.eps}`, `--vat-alpha ${s.vat.alpha}`);
  parts.push(`--out ${s.out}`);
  return parts.join(' ');
}

/** The run as its TrainingSession records it; the identity is what must match for --resume (--epochs may grow). */
export function classifierTrainingRun(s: ClassifierTrainingSettings): TrainingRun {
  return {
    epochs: s.epochs,
    batchSize: s.batchSize,
    learningRate: s.learningRate,
    seed: s.seed,
    command: classifierTrainingCommandLine(s),
    identity: {
      dataset: s.dataset,
      batchSize: s.batchSize,
      learningRate: s.learningRate,
      seed: s.seed,
      limit: s.limit ?? null,
      arch: s.arch,
      init: s.init === undefined ? null : resolve(s.init),
      adversarial: s.adversarial ?? null,
    },
  };
}

export interface ClassifierTrainingReport {
  out: string;
  testAccuracy: number;
  testImages: number;
  trainImages: number;
  seconds: number;
  history: EpochSummary[];
  command: string;
  /** PGD-20 robust accuracy on the first `robustEval` test images after the last epoch, when measured. */
  robust?: { clean: number; robust: number; images: number };
}

/** What a classifier run tells as it goes (each optional). */
export interface ClassifierTrainingObserver {
  /** Training starts; with VAT, `labeledImages` of the `trainImages` keep their labels. */
  onStart?(start: { trainImages: number; labeledImages?: number; backend: string }): void;
  /** Resuming after `epoch` epochs from the checkpoint in `checkpointDir`. */
  onResume?(epoch: number, checkpointDir: string): void;
  onProgress?(p: TrainProgress): void;
  /** An epoch is done, its robust accuracy measured (--robust-eval) and its checkpoint saved. */
  onEpoch?(e: EpochSummary, robust?: PgdRobustness): void;
  /** A VAT epoch is done (VAT runs are not checkpointed). */
  onVatEpoch?(e: VatEpochSummary): void;
  /** The model is saved and the run complete. */
  onSaved?(saved: {
    dir: string;
    weightBytes: number;
    testAccuracy: number;
    testImages: number;
    seconds: number;
  }): void;
}
