/**
 * A classifier training run (what `advx train` does): the small Fashion-MNIST CNN trained naturally, with
 * an adversarial training recipe (PGD or fast FGSM, adversarial-training.ts) or with virtual adversarial
 * training (vat-training.ts), in a TrainingSession: a checkpoint every epoch (atomic: a kill at any moment
 * loses no finished epoch), --resume continuing an interrupted run exactly (the same weights, optimizer
 * state, data order and adversarial-example seeds as a run never interrupted: bit-identical final
 * weights), the model saved in --out with its metadata. Progress goes to the observer.
 */
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { loadFashionMnist, type ImageDataset } from '../data/datasets.js';
import {
  gatherImages,
  trainClassifier,
  type EpochSummary,
  type TrainData,
} from '../train/train-classifier.js';
import { loadInitialWeights } from '../train/initial-weights.js';
import { readingOption } from '../train/input-errors.js';
import { TrainingSession } from '../train/training-session.js';
import { adversarialTraining, asAttackModel } from './adversarial-training.js';
import {
  classifierTrainingRun,
  TRAIN_ARCHITECTURES,
  type ClassifierTrainingObserver,
  type ClassifierTrainingReport,
  type ClassifierTrainingSettings,
} from './classifier-training-settings.js';
import { pgdRobustness, type PgdRobustness } from './evaluation.js';
import { runVatTraining } from './vat-training.js';

function loadData(s: ClassifierTrainingSettings): Promise<TrainData> {
  return readingOption(
    '--dataset',
    () => ({ train: loadFashionMnist('train', s.limit), test: loadFashionMnist('test') }),
    `--dataset ${s.dataset}`,
  );
}

/**
 * Runs `advx train` with checked settings. A bad --out, a checkpoint of another run, a missing data set
 * and an unusable --init model throw an AdvxError (bad input) before any training.
 */
export async function runClassifierTraining(
  settings: ClassifierTrainingSettings,
  observer: ClassifierTrainingObserver = {},
): Promise<ClassifierTrainingReport> {
  const options = {
    out: settings.out,
    resume: settings.resume,
    force: settings.force,
    run: classifierTrainingRun(settings),
  };
  return TrainingSession.run(options, async (session) => {
    const data = await loadData(settings);
    if (settings.vat !== undefined) return runVatTraining(settings, settings.vat, data, session, observer);
    return trainInSession(settings, data, session, observer);
  });
}

/** PGD-20 (step 0.0125, eps 0.1, random start) clean and robust accuracy on the first `count` test images. */
async function robustEvaluation(model: tf.LayersModel, test: ImageDataset, count: number, seed: number) {
  const n = Math.min(count, test.count);
  const x: Tensor4D = gatherImages(
    test,
    Array.from({ length: n }, (_, i) => i),
  );
  try {
    return await pgdRobustness(asAttackModel(model), x, Array.from(test.labels.slice(0, n)), { seed });
  } finally {
    x.dispose();
  }
}

async function trainInSession(
  settings: ClassifierTrainingSettings,
  data: TrainData,
  session: TrainingSession,
  observer: ClassifierTrainingObserver,
): Promise<ClassifierTrainingReport> {
  const backend = await initEngine();
  const a = settings.adversarial;
  observer.onStart?.({ trainImages: data.train.count, backend });
  const model = TRAIN_ARCHITECTURES[settings.arch](settings.seed);
  const optimizer = tf.train.adam(settings.learningRate);
  const batches = Math.ceil(data.train.count / settings.batchSize);
  let lastPgd: PgdRobustness | undefined;
  try {
    if (settings.init !== undefined && !settings.resume) await loadInitialWeights(model, settings.init);
    const start = await session.resume<EpochSummary>({
      nets: { model },
      optimizers: { model: optimizer },
    });
    if (session.resuming) observer.onResume?.(start.epoch, session.checkpointDir);
    const result = await trainClassifier(model, data, {
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      seed: settings.seed,
      startEpoch: start.epoch,
      history: start.history,
      optimizer,
      makeBatch: a === undefined ? undefined : adversarialTraining(a, start.epoch * batches),
      onProgress: (p) => observer.onProgress?.(p),
      onEpochEnd: async (e, state) => {
        let robust: PgdRobustness | undefined;
        if (settings.robustEval > 0) {
          robust = await robustEvaluation(model, data.test, settings.robustEval, settings.seed);
          lastPgd = robust;
        }
        await session.saveCheckpoint({ model }, { model: state.optimizer }, e.epoch, state.history);
        // Told once the checkpoint holds the epoch: an epoch reported is an epoch kept.
        observer.onEpoch?.(e, robust);
      },
    });
    const lastRobust: ClassifierTrainingReport['robust'] =
      lastPgd === undefined
        ? undefined
        : { clean: lastPgd.clean, robust: lastPgd.robust, images: lastPgd.images };
    const saved = await session.saveModel(model, {
      head: {
        architecture: settings.arch,
        labels: data.train.classNames,
        dataset: settings.dataset,
        testAccuracy: result.testAccuracy,
        testImages: data.test.count,
        trainImages: data.train.count,
      },
      seconds: result.history.reduce((sum, e) => sum + e.seconds, 0),
      backend,
      tail: {
        ...(a === undefined ? {} : { adversarialTraining: { ...a } }),
        ...(lastPgd === undefined
          ? {}
          : {
              robustAccuracy: {
                ...lastRobust,
                attack: `PGD-${lastPgd.steps}, step ${lastPgd.stepSize}, eps ${lastPgd.eps}, random start`,
              },
            }),
      },
    });
    session.finish(settings.keepCheckpoint);
    observer.onSaved?.({
      dir: saved.dir,
      weightBytes: saved.weightBytes,
      testAccuracy: result.testAccuracy,
      testImages: data.test.count,
      seconds: result.seconds,
    });
    return {
      out: saved.dir,
      testAccuracy: result.testAccuracy,
      testImages: data.test.count,
      trainImages: data.train.count,
      seconds: result.seconds,
      history: result.history,
      command: session.command,
      robust: lastRobust,
    };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
