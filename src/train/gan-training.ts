/**
 * A GAN training run (what `advx train gan` does): trains the DCGAN of gan-architecture.ts on
 * Fashion-MNIST in a TrainingSession: sample grids (PNG) while training, a checkpoint every epoch
 * (atomic; --resume continues exactly: same weights, Adam states, data order and latent codes as an
 * uninterrupted run) and the generator saved as a tfjs layers model (what `defenses.ganProjection` and
 * `advx experiment robustness --generator` load). Progress goes to the observer.
 */
import { join } from 'node:path';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { loadFashionMnist } from '../data/datasets.js';
import { writePngFile } from '../data/png.js';
import { dcganDiscriminator, dcganGenerator } from './gan-architecture.js';
import { latentCodes, sampleGridPng, trainGan, type GanEpochSummary, type GanProgress } from './gan.js';
import { readingInput } from './input-errors.js';
import { TrainingSession, type TrainingRun } from './training-session.js';

export interface GanTrainingSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  latentDim: number;
  seed: number;
  limit?: number;
  batchesPerEpoch?: number;
  /** Also write a sample grid every N batches (0: only per epoch). */
  sampleEvery: number;
  /** --out as given (recorded in the training command). */
  out: string;
  resume: boolean;
  keepCheckpoint: boolean;
  force: boolean;
}

export interface GanTrainingReport {
  out: string;
  samples: string[];
  history: GanEpochSummary[];
  seconds: number;
  command: string;
}

/** What a GAN run tells as it goes (each optional). */
export interface GanTrainingObserver {
  /** Resuming after `epoch` epochs from the checkpoint in `checkpointDir`. */
  onResume?(epoch: number, checkpointDir: string): void;
  /** Training starts (after a resume, if any). */
  onStart?(start: { trainImages: number; backend: string }): void;
  onProgress?(p: GanProgress): void;
  /** An epoch is done and its checkpoint saved. */
  onEpoch?(e: GanEpochSummary): void;
  /** The generator is saved and the run complete; `seconds`: this process's training time. */
  onSaved?(saved: { dir: string; weightBytes: number; seconds: number }): void;
}

/** The command line that reproduces a run. */
export function ganTrainingCommandLine(s: GanTrainingSettings): string {
  const parts = [
    'advx train gan',
    `--epochs ${s.epochs}`,
    `--batch-size ${s.batchSize}`,
    `--learning-rate ${s.learningRate}`,
    `--latent-dim ${s.latentDim}`,
    `--seed ${s.seed}`,
  ];
  if (s.limit !== undefined) parts.push(`--limit ${s.limit}`);
  if (s.batchesPerEpoch !== undefined) parts.push(`--batches-per-epoch ${s.batchesPerEpoch}`);
  parts.push(`--out ${s.out}`);
  return parts.join(' ');
}

function ganRun(s: GanTrainingSettings): TrainingRun {
  return {
    epochs: s.epochs,
    batchSize: s.batchSize,
    learningRate: s.learningRate,
    seed: s.seed,
    command: ganTrainingCommandLine(s),
    identity: {
      batchSize: s.batchSize,
      learningRate: s.learningRate,
      latentDim: s.latentDim,
      seed: s.seed,
      limit: s.limit ?? null,
      batchesPerEpoch: s.batchesPerEpoch ?? null,
    },
  };
}

const SAMPLE_COLS = 8;
const SAMPLES_FOLDER = 'samples';
const SAMPLES_GRID = 'samples.png';
const padded = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * Runs `advx train gan` with checked settings. A bad --out, a checkpoint of another run and a missing
 * data set throw an AdvxError (bad input) before any training.
 */
export async function runGanTraining(
  settings: GanTrainingSettings,
  observer: GanTrainingObserver = {},
): Promise<GanTrainingReport> {
  const options = {
    out: settings.out,
    resume: settings.resume,
    force: settings.force,
    files: [SAMPLES_GRID],
    folders: { [SAMPLES_FOLDER]: 'gan-samples' },
    run: ganRun(settings),
  };
  return TrainingSession.run(options, (session) => trainInSession(settings, session, observer));
}

async function trainInSession(
  settings: GanTrainingSettings,
  session: TrainingSession,
  observer: GanTrainingObserver,
): Promise<GanTrainingReport> {
  const data = await readingInput(() => loadFashionMnist('train', settings.limit));
  const backend = await initEngine();
  const generator = dcganGenerator(settings.latentDim, settings.seed);
  const discriminator = dcganDiscriminator(settings.seed);
  const optimizers = {
    generator: tf.train.adam(settings.learningRate, 0.5),
    discriminator: tf.train.adam(settings.learningRate, 0.5),
  };
  const fixedCodes = latentCodes(SAMPLE_COLS * SAMPLE_COLS, settings.latentDim, settings.seed + 12345);
  const samples: string[] = [];
  // The grids go into OUT/samples, advx's own folder (checked when the session opened), the final one to OUT.
  const writeSamples = (name: string) => {
    const file =
      name === SAMPLES_GRID ? join(session.dir, name) : join(session.subfolder(SAMPLES_FOLDER), name);
    writePngFile(file, sampleGridPng(generator, fixedCodes, SAMPLE_COLS), { overwrite: true });
    samples.push(file);
  };
  try {
    const start = await session.resume<GanEpochSummary>({
      nets: { generator, discriminator },
      optimizers,
    });
    const history = start.history;
    if (session.resuming) observer.onResume?.(start.epoch, session.checkpointDir);
    observer.onStart?.({ trainImages: data.count, backend });
    if (start.epoch === 0) writeSamples('epoch-000.png');
    const result = await trainGan(generator, discriminator, data, {
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      seed: settings.seed,
      startEpoch: start.epoch,
      optimizers,
      batchesPerEpoch: settings.batchesPerEpoch,
      onProgress: (p) => {
        observer.onProgress?.(p);
        if (settings.sampleEvery > 0 && p.batch % settings.sampleEvery === 0 && p.batch !== p.batches)
          writeSamples(`epoch-${padded(p.epoch, 3)}-batch-${padded(p.batch, 4)}.png`);
      },
      onEpochEnd: async (e, state) => {
        history.push(e);
        writeSamples(`epoch-${padded(e.epoch, 3)}.png`);
        await session.saveCheckpoint({ generator, discriminator }, { ...state }, e.epoch, history);
        observer.onEpoch?.(e);
      },
    });
    const seconds = history.reduce((sum, e) => sum + e.seconds, 0);
    const saved = await session.saveModel(generator, {
      head: {
        kind: 'generator',
        latentDim: settings.latentDim,
        imageShape: [28, 28, 1],
        bounds: [0, 1],
        dataset: 'fashion-mnist',
        trainImages: data.count,
      },
      seconds,
      backend,
      tail: { history },
    });
    writeSamples(SAMPLES_GRID);
    session.finish(settings.keepCheckpoint);
    observer.onSaved?.({ dir: saved.dir, weightBytes: saved.weightBytes, seconds: result.seconds });
    return { out: saved.dir, samples, history, seconds, command: session.command };
  } finally {
    fixedCodes.dispose();
    optimizers.generator.dispose();
    optimizers.discriminator.dispose();
    generator.dispose();
    discriminator.dispose();
  }
}
