/**
 * One training run in its --out folder, for `advx train` and `advx train gan` alike: the folder (checked
 * and locked, training-folder.ts), the checkpoint of every epoch (replaced atomically, checkpoint.ts),
 * resuming from it (the same run, resume.ts), and the model saved at the end with the run's metadata
 * (what reproduces it: the command line, the hyper-parameters, the engine, the time spent).
 *
 * ```ts
 * await TrainingSession.run({ out, resume, force, run }, async (session) => {
 *   const { epoch, history } = await session.resume({ nets: { model }, optimizers: { model: adam } });
 *   // ... train, and after each epoch:
 *   await session.saveCheckpoint({ model }, { model: adam }, epoch, history);
 *   await session.saveModel(model, { head: { architecture }, seconds, backend });
 *   session.finish(keepCheckpoint);
 * });
 * ```
 */
import type { tf } from '../engine/tf.js';
import { saveLayersModel, type SavedModelInfo } from '../models/save-model.js';
import { saveCheckpoint } from './checkpoint.js';
import { readingInput } from './input-errors.js';
import { resumeTraining, type ResumeTarget } from './resume.js';
import { openTrainingFolder, type TrainingFolder, type TrainingFolderOptions } from './training-folder.js';

/** What defines a run and is recorded with its model. */
export interface TrainingRun {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** The command line that reproduces the run (model.json's trainingCommand). */
  command: string;
  /** The options a checkpoint must have been made with for --resume to continue it (epochs may grow). */
  identity: Record<string, unknown>;
}

export interface TrainingSessionOptions extends TrainingFolderOptions {
  run: TrainingRun;
}

/** Where a run starts: after `epoch` epochs (0: a new run), with their summaries. */
export interface ResumePoint<E> {
  epoch: number;
  history: E[];
}

/** What a saved model records besides the run (TrainingRun): before and after the run's own fields. */
export interface ModelRecord {
  /** What the model is (architecture, labels, data set, accuracy...), first in model.json's advx block. */
  head: Record<string, unknown>;
  /** Training time of the whole run, resumed parts included. */
  seconds: number;
  /** The engine's backend that trained it. */
  backend: string;
  /** Recorded after the run's fields (e.g. the adversarial recipe, the history). */
  tail?: Record<string, unknown>;
}

export class TrainingSession {
  private constructor(
    private readonly folder: TrainingFolder,
    private readonly options: TrainingSessionOptions,
  ) {}

  /** Opens options.out (throws an AdvxError, bad input, when the folder forbids the run). */
  static async open(options: TrainingSessionOptions): Promise<TrainingSession> {
    return new TrainingSession(await readingInput(() => openTrainingFolder(options)), options);
  }

  /** Opens the session, runs `work` in it and releases the folder whatever happens. */
  static async run<T>(options: TrainingSessionOptions, work: (session: TrainingSession) => Promise<T>) {
    const session = await TrainingSession.open(options);
    try {
      return await work(session);
    } finally {
      session.release();
    }
  }

  /** --out, absolute. */
  get dir(): string {
    return this.folder.dir;
  }

  get checkpointDir(): string {
    return this.folder.checkpointDir;
  }

  get command(): string {
    return this.options.run.command;
  }

  get resuming(): boolean {
    return this.options.resume;
  }

  /** The run's sub-folder `name` (one of options.folders), created and marked as advx's on first use. */
  subfolder(name: string): string {
    return this.folder.subfolder(name);
  }

  /**
   * With --resume: loads the checkpoint into `target` (fresh networks and optimizers, by the names they
   * were saved under) after checking it is the same run, and returns where it stopped; else epoch 0. A
   * checkpoint of another run is bad input (AdvxError).
   */
  async resume<E>(target: ResumeTarget): Promise<ResumePoint<E>> {
    if (!this.options.resume) return { epoch: 0, history: [] };
    const { run } = this.options;
    const state = await readingInput(() =>
      resumeTraining(this.checkpointDir, run.identity, target, run.epochs),
    );
    return { epoch: state.epoch, history: state.history as E[] };
  }

  /** Replaces the checkpoint (atomically) with the state after `epoch` epochs. */
  async saveCheckpoint(
    nets: Record<string, tf.LayersModel>,
    optimizers: Record<string, tf.Optimizer>,
    epoch: number,
    history: unknown[],
  ): Promise<void> {
    await saveCheckpoint(this.checkpointDir, nets, optimizers, {
      epoch,
      options: this.options.run.identity,
      history,
    });
  }

  /** Saves the trained network in --out with the run's metadata (replacing a model only as allowed). */
  async saveModel(net: tf.LayersModel, record: ModelRecord): Promise<SavedModelInfo> {
    const { run } = this.options;
    return saveLayersModel(net, this.dir, {
      overwrite: this.options.force || this.options.resume,
      metadata: {
        ...record.head,
        epochs: run.epochs,
        batchSize: run.batchSize,
        learningRate: run.learningRate,
        seed: run.seed,
        trainingSeconds: Math.round(record.seconds),
        backend: record.backend,
        trainingCommand: run.command,
        ...record.tail,
      },
    });
  }

  /** The run completed: removes its checkpoint (unless kept) and releases the folder. */
  finish(keepCheckpoint: boolean): void {
    this.folder.finish(keepCheckpoint);
  }

  /** Releases the folder (idempotent). */
  release(): void {
    this.folder.release();
  }
}
