/**
 * `advx train --vat`: semi-supervised virtual adversarial training (vat.ts) in a TrainingSession: CE on
 * the first `labeled` training images + alpha * LDS on all of them (as unlabelled), one epoch = one pass
 * over the unlabelled images at --batch-size, 32 labelled per step. Not checkpointed (runs are short:
 * few labels).
 */
import { initEngine } from '../engine/backend.js';
import type { ImageDataset } from '../data/datasets.js';
import type { EpochSummary, TrainData } from '../train/train-classifier.js';
import { loadInitialWeights } from '../train/initial-weights.js';
import type { TrainingSession } from '../train/training-session.js';
import {
  TRAIN_ARCHITECTURES,
  type ClassifierTrainingObserver,
  type ClassifierTrainingReport,
  type ClassifierTrainingSettings,
  type VatSettings,
} from './classifier-training-settings.js';
import { trainVat } from './vat.js';

/** The first `n` images of `data`, with their labels. */
function firstImages(data: ImageDataset, n: number): ImageDataset {
  const size = data.shape[0] * data.shape[1] * data.shape[2];
  return {
    ...data,
    name: `${data.name}-labeled`,
    images: data.images.subarray(0, n * size),
    labels: data.labels.subarray(0, n),
    count: n,
  };
}

export async function runVatTraining(
  settings: ClassifierTrainingSettings,
  vat: VatSettings,
  data: TrainData,
  session: TrainingSession,
  observer: ClassifierTrainingObserver,
): Promise<ClassifierTrainingReport> {
  const backend = await initEngine();
  const n = Math.min(vat.labeled, data.train.count);
  const labeled = firstImages(data.train, n);
  observer.onStart?.({ trainImages: data.train.count, labeledImages: n, backend });
  const model = TRAIN_ARCHITECTURES[settings.arch](settings.seed);
  const started = performance.now();
  try {
    if (settings.init !== undefined) await loadInitialWeights(model, settings.init);
    const history = await trainVat(
      model,
      { labeled, unlabeled: data.train, test: data.test },
      {
        epochs: settings.epochs,
        batchSize: Math.min(32, n),
        unlabeledBatchSize: settings.batchSize,
        learningRate: settings.learningRate,
        alpha: vat.alpha,
        eps: vat.eps,
        seed: settings.seed,
        onEpochEnd: (e) => observer.onVatEpoch?.(e),
      },
    );
    const seconds = (performance.now() - started) / 1000;
    const testAccuracy = history[history.length - 1].testAccuracy;
    const saved = await session.saveModel(model, {
      head: {
        architecture: settings.arch,
        labels: data.train.classNames,
        dataset: settings.dataset,
        testAccuracy,
        testImages: data.test.count,
        trainImages: data.train.count,
        labeledImages: n,
        virtualAdversarialTraining: { ...vat },
      },
      seconds,
      backend,
    });
    session.finish(true);
    observer.onSaved?.({
      dir: saved.dir,
      weightBytes: saved.weightBytes,
      testAccuracy,
      testImages: data.test.count,
      seconds,
    });
    const summaries: EpochSummary[] = history.map((e) => ({
      epoch: e.epoch,
      loss: e.crossEntropy + vat.alpha * e.lds,
      trainAccuracy: Number.NaN,
      testAccuracy: e.testAccuracy,
      seconds: e.seconds,
    }));
    return {
      out: saved.dir,
      testAccuracy,
      testImages: data.test.count,
      trainImages: n,
      seconds,
      history: summaries,
      command: session.command,
    };
  } finally {
    model.dispose();
  }
}
