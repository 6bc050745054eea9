/**
 * The coordinator of a queued evaluation (`advx evaluate --queue URL`): checks everything a
 * single-process evaluation checks, cuts the images into shards (shard-plan.ts), enqueues one BullMQ job
 * per shard and eps, and then looks at its jobs until each has a result or has failed:
 * - a finished job's result goes into the state file (coordinator-state.ts, the source of truth) once,
 *   keyed by eps and shard, and the job is removed: no image is counted twice;
 * - a job that is missing (Redis restarted without its data, or never added) is added again; a job whose
 *   worker died goes back to the queue by BullMQ's lease (lock) and stall check, on any worker;
 * - while Redis is away, every look waits for it: the evaluation pauses and then continues;
 * - a job that failed all its attempts ends the evaluation with the images that have no result and why,
 *   once every other job is done; attaching again retries it.
 * At the end the shards are merged into the state a single-process run ends with, and the result, the
 * files in `--out` and the printed lines are the single-process run's.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { writeFileAtomically } from '../data/atomic-write.js';
import { attackEvent, type EvaluationEvent } from '../evaluation/evaluate.js';
import {
  epsilonFolder,
  epsilonsResult,
  prepareEpsilons,
  type EpsilonsResult,
} from '../evaluation/evaluate-epsilons.js';
import {
  dataDigest,
  loadEvaluationData,
  type DatasetSelection,
  type EvaluationData,
} from '../evaluation/evaluation-data.js';
import {
  attackWarnings,
  cleanPassWarnings,
  resultOfState,
  robustAfter,
  type EvaluationResult,
} from '../evaluation/evaluation-result.js';
import {
  openState,
  RESULT_FILE,
  startState,
  type EvaluationConfig,
  type EvaluationState,
} from '../evaluation/evaluation-state.js';
import type { EvaluationNorm } from '../evaluation/protocols.js';
import type { Model } from '../models/model.js';
import {
  hasQueueState,
  openQueueState,
  readQueueState,
  resultKey,
  saveQueueState,
  stateFolder,
  type QueuedEvaluationSpec,
  type QueueState,
} from './coordinator-state.js';
import {
  imageRange,
  JOB_VERSION,
  QUEUE_NAME,
  resultProblem,
  shardJobId,
  type QueuedProtocol,
  type ShardJob,
  type ShardResult,
} from './job-schema.js';
import { mergeShards } from './merge-shards.js';
import { modelContentHash, type ModelReference } from './model-identity.js';
import {
  checkRedis,
  closeRedis,
  connectRedis,
  displayUrl,
  parseQueueUrl,
  type QueueUrl,
} from './redis-connection.js';
import { listWorkers, putEvaluationRecord, readEvaluationRecord, type EvaluationStatus } from './registry.js';
import { defaultShardSize, planShards } from './shard-plan.js';

export const DEFAULT_ATTEMPTS = 3;
const DAY = 24 * 3600;

export type QueuedEvaluationEvent =
  /** Jobs are on the queue (`done`: shards finished before, when attaching again). */
  | { kind: 'queued'; id: string; jobs: number; done: number; resumed: boolean }
  /** Work done over all workers: images x eps (shards in progress count by their progress). */
  | {
      kind: 'progress';
      done: number;
      total: number;
      jobsDone: number;
      jobs: number;
      workers: number;
      etaSeconds: number | null;
    }
  /** Redis went away (the work pauses) or came back. */
  | { kind: 'redis'; up: boolean; reason?: string }
  /** Jobs Redis had lost, enqueued again from the state file. */
  | { kind: 'requeued'; jobs: number }
  /** A job failed all its attempts: its images have no result. */
  | { kind: 'job-failed'; job: string; eps: number; images: string; reason: string; attempts: number }
  /** The results of the eps at `index` follow (several eps only). */
  | { kind: 'eps'; eps: number; index: number; count: number }
  /** The single-process run's result lines, from the merged state. */
  | Extract<EvaluationEvent, { kind: 'clean' | 'attack' | 'warning' }>;

export interface QueueRunOptions {
  /** Attempts per job before it ends failed (default 3). */
  attempts?: number;
  /** Milliseconds between looks at the jobs (default 500). */
  pollMs?: number;
  onEvent?: (event: QueuedEvaluationEvent) => void;
}

export interface QueuedEvaluationRequest extends QueueRunOptions {
  /** `redis://HOST:PORT[/DB]`. */
  queue: string;
  /** The model, loaded here for the checks (name, bounds, input shape, classes). */
  model: Model;
  /** How workers load it (its content hash is computed here). */
  modelRef: Omit<ModelReference, 'hash'>;
  data: DatasetSelection;
  protocol: QueuedProtocol;
  norm: EvaluationNorm;
  eps: readonly number[];
  seed?: number;
  batchSize?: number;
  /** Images per job (rounded up to whole batches; default one batch). */
  shardSize?: number;
  out?: string;
  resume?: boolean;
  force?: boolean;
}

/** A queued evaluation checked and ready to run (or to continue). */
export interface PreparedQueuedEvaluation {
  readonly id: string;
  readonly resumed: boolean;
  readonly configs: readonly EvaluationConfig[];
  /** Where its state file is. */
  readonly folder: string;
  run(): Promise<EpsilonsResult>;
}

const newId = () => `ev-${randomBytes(5).toString('hex')}`;

/** A shard of the whole data as EvaluationData, for its digest. */
function slice(data: EvaluationData, start: number, images: number): EvaluationData {
  return {
    ...data,
    indices: data.indices.slice(start, start + images),
    labels: data.labels.slice(start, start + images),
  };
}

/**
 * Checks a request as `advx evaluate` checks one (options, data against the model, protocol, output
 * folder, the recorded state when resuming), computes the model's content hash and makes sure Redis
 * answers: every error of bad input surfaces here, before anything is enqueued.
 */
export async function prepareQueuedEvaluation(
  request: QueuedEvaluationRequest,
): Promise<PreparedQueuedEvaluation> {
  const url = parseQueueUrl(request.queue);
  await checkRedis(url);
  if ((request.resume || request.force) && request.out === undefined)
    throw new Error(`${request.resume ? 'resume' : 'force'}: give the output folder (out)`);
  const data = loadEvaluationData(request.data);
  const batchSize = request.batchSize ?? 100;
  const prepared = await prepareEpsilons(request.model, data, request.protocol, {
    norm: request.norm,
    eps: request.eps,
    seed: request.seed,
    batchSize,
  });
  const configs = prepared.map((p) => p.config);
  const shards = planShards(data.indices.length, batchSize, request.shardSize ?? defaultShardSize(batchSize));
  const out = request.out ?? null;
  const spec: QueuedEvaluationSpec = {
    id: newId(),
    created: new Date().toISOString(),
    model: { ...request.modelRef, hash: await modelContentHash(request.modelRef.spec) },
    dataset: request.data.dataset,
    protocol: request.protocol,
    configs,
    shards,
    shardData: shards.map((s) => dataDigest(slice(data, s.start, s.images))),
    out,
  };
  const folder = stateFolder(out, spec.id);
  const state = openQueueState(folder, spec, request);
  if (!request.resume && out !== null)
    configs.forEach((config) => openState(outFolder(spec, config.eps) as string, config, request));
  return preparedRun(url, folder, state, request.resume === true, request);
}

/**
 * A queued evaluation to continue by its id: its state file from this machine's cache, or from the
 * folder its coordinator recorded in Redis (an `--out` folder).
 */
export async function attachQueuedEvaluation(
  queue: string,
  id: string,
  options: QueueRunOptions = {},
): Promise<PreparedQueuedEvaluation> {
  const url = parseQueueUrl(queue);
  await checkRedis(url);
  const looked = [stateFolder(null, id)];
  if (!hasQueueState(looked[0])) {
    const redis = connectRedis(url);
    try {
      const record = await readEvaluationRecord(redis, id);
      if (record !== null) looked.push(record.stateFolder);
    } finally {
      closeRedis(redis);
    }
  }
  const folder = looked.find((f) => hasQueueState(f));
  if (folder === undefined)
    throw new Error(`evaluation ${id}: no state on this machine (looked in ${looked.join(', ')})`);
  const state = readQueueState(folder);
  if (state.spec.id !== id) throw new Error(`${folder}: holds evaluation ${state.spec.id}, not ${id}`);
  return preparedRun(url, folder, state, true, options);
}

function preparedRun(
  url: QueueUrl,
  folder: string,
  state: QueueState,
  resumed: boolean,
  options: QueueRunOptions,
): PreparedQueuedEvaluation {
  return {
    id: state.spec.id,
    resumed,
    configs: state.spec.configs,
    folder,
    run: () => new Coordinator(url, folder, state, resumed, options).run(),
  };
}

/** Where the results of one eps go: as a single-process run puts them (null without --out). */
function outFolder(spec: QueuedEvaluationSpec, eps: number): string | null {
  if (spec.out === null) return null;
  return spec.configs.length === 1 ? spec.out : epsilonFolder(spec.out, eps);
}

/** One job of the evaluation. */
interface Task {
  key: string;
  id: string;
  job: ShardJob;
}

function tasksOf(spec: QueuedEvaluationSpec): Task[] {
  return spec.configs.flatMap((config, epsIndex) =>
    spec.shards.map((shard): Task => {
      const job: ShardJob = {
        version: JOB_VERSION,
        evaluation: spec.id,
        epsIndex,
        shard: shard.index,
        model: spec.model,
        dataset: spec.dataset,
        offset: config.offset + shard.start,
        images: shard.images,
        data: spec.shardData[shard.index],
        protocol: spec.protocol,
        attacks: config.attacks,
        norm: config.norm as EvaluationNorm,
        eps: config.eps,
        seed: config.seed,
        batchSize: config.batchSize,
        firstBatch: shard.firstBatch,
      };
      return { key: resultKey(epsIndex, shard.index), id: shardJobId(spec.id, epsIndex, shard.index), job };
    }),
  );
}

/** The lines a single-process run prints about a finished evaluation, from its state. */
function summaryEvents(state: EvaluationState): QueuedEvaluationEvent[] {
  const n = state.config.images;
  const correct = robustAfter(state, -1);
  const warning = (message: string) => ({ kind: 'warning' as const, message });
  return [
    { kind: 'clean', cleanAccuracy: correct / n, correct, images: n },
    ...cleanPassWarnings(state).map(warning),
    ...state.attacks.map((_, k) => attackEvent(state, k) as QueuedEvaluationEvent),
    ...attackWarnings(state).map(warning),
  ];
}

class Coordinator {
  private readonly emit: (event: QueuedEvaluationEvent) => void;
  private readonly tasks: Task[];
  private readonly failures = new Map<string, { reason: string; attempts: number }>();
  private readonly progress = new Map<string, number>();
  private redis!: Redis;
  private queue!: Queue<ShardJob, ShardResult>;

  constructor(
    private readonly url: QueueUrl,
    private readonly folder: string,
    private readonly state: QueueState,
    private readonly resumed: boolean,
    private readonly options: QueueRunOptions,
  ) {
    this.emit = options.onEvent ?? (() => undefined);
    this.tasks = tasksOf(state.spec);
  }

  private get spec() {
    return this.state.spec;
  }

  private pending(): Task[] {
    return this.tasks.filter((t) => this.state.results[t.key] === undefined && !this.failures.has(t.key));
  }

  async run(): Promise<EpsilonsResult> {
    mkdirSync(this.folder, { recursive: true });
    saveQueueState(this.folder, this.state);
    this.redis = connectRedis(this.url, (up, reason) => this.emit({ kind: 'redis', up, reason }));
    this.queue = new Queue<ShardJob, ShardResult>(QUEUE_NAME, { connection: this.redis });
    this.queue.on('error', () => undefined); // the connection reports outages (above)
    try {
      await this.waitForJobs();
      return await this.finish();
    } finally {
      await this.queue.close().catch(() => undefined);
      closeRedis(this.redis);
    }
  }

  private async waitForJobs(): Promise<void> {
    const { spec } = this;
    const pollMs = this.options.pollMs ?? 500;
    this.emit({
      kind: 'queued',
      id: spec.id,
      jobs: this.tasks.length,
      done: this.tasks.length - this.pending().length,
      resumed: this.resumed,
    });
    const started = Date.now();
    const doneAtStart = this.workDone();
    for (let first = true; ; first = false) {
      const missing = (await Promise.all(this.pending().map((task) => this.look(task, first)))).filter(
        (added) => added,
      ).length;
      if (!first && missing > 0) this.emit({ kind: 'requeued', jobs: missing });
      const done = this.workDone();
      const total = this.work();
      const workers = (await listWorkers(this.redis)).length;
      const seconds = (Date.now() - started) / 1000;
      const rate = (done - doneAtStart) / seconds;
      this.emit({
        kind: 'progress',
        done,
        total,
        jobsDone: Object.keys(this.state.results).length,
        jobs: this.tasks.length,
        workers,
        etaSeconds: rate > 0 ? (total - done) / rate : null,
      });
      const finished = this.pending().length === 0;
      await this.record(finished ? (this.failures.size > 0 ? 'failed' : 'done') : 'running');
      if (finished) return;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** Looks at one job; true when it had to be added (again). */
  private async look(task: Task, first: boolean): Promise<boolean> {
    // The state first, then the job: a job read before its state could miss the result it got between.
    const status = await this.queue.getJobState(task.id); // 'unknown': no such job
    let job = status === 'unknown' ? undefined : await Job.fromId<ShardJob, ShardResult>(this.queue, task.id);
    // Attaching again retries what failed before; a job in no list is as good as missing.
    if (job !== undefined && first && status === 'failed') {
      await job.remove().catch(() => undefined);
      job = undefined;
    }
    if (job === undefined) {
      await this.queue.add('shard', task.job, {
        jobId: task.id,
        attempts: this.options.attempts ?? DEFAULT_ATTEMPTS,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { age: 7 * DAY },
        removeOnFail: { age: 7 * DAY },
      });
      this.progress.delete(task.key);
      return true;
    }
    if (status === 'completed') {
      const problem = resultProblem(task.job, job.returnvalue);
      if (problem === null) {
        this.state.results[task.key] = job.returnvalue;
        saveQueueState(this.folder, this.state);
      } else this.fail(task, `its worker returned a bad result: ${problem}`, job.attemptsMade);
      await job.remove().catch(() => undefined);
    } else if (status === 'failed') {
      this.fail(task, job.failedReason ?? 'no reason given', job.attemptsMade);
    } else {
      this.progress.set(task.key, typeof job.progress === 'number' ? job.progress : 0);
    }
    return false;
  }

  private fail(task: Task, reason: string, attempts: number): void {
    this.failures.set(task.key, { reason, attempts });
    this.emit({
      kind: 'job-failed',
      job: task.id,
      eps: task.job.eps,
      images: imageRange(task.job),
      reason,
      attempts,
    });
  }

  private work(): number {
    return this.tasks.reduce((sum, t) => sum + t.job.images, 0);
  }

  private workDone(): number {
    let done = 0;
    for (const t of this.tasks) {
      if (this.state.results[t.key] !== undefined) done += t.job.images;
      else if (!this.failures.has(t.key)) done += (this.progress.get(t.key) ?? 0) * t.job.images;
    }
    return done;
  }

  private async record(status: EvaluationStatus): Promise<void> {
    const { spec } = this;
    const first = spec.configs[0];
    await putEvaluationRecord(
      this.redis,
      {
        id: spec.id,
        status,
        model: first.model,
        dataset: first.dataset,
        images: imageRange({ offset: first.offset, images: first.images }),
        norm: first.norm,
        eps: spec.configs.map((c) => c.eps),
        protocol: first.protocol,
        attacks: first.attacks,
        jobs: this.tasks.length,
        jobsDone: Object.keys(this.state.results).length,
        jobsFailed: this.failures.size,
        work: this.work(),
        workDone: Math.floor(this.workDone()),
        stateFolder: this.folder,
        coordinator: { host: hostname(), pid: process.pid },
        updated: Date.now(),
      },
      status === 'running' ? DAY : 7 * DAY,
    );
  }

  private async finish(): Promise<EpsilonsResult> {
    const { spec } = this;
    if (this.failures.size > 0) {
      const failed = this.tasks.filter((t) => this.failures.has(t.key));
      const missing = failed.reduce((sum, t) => sum + t.job.images, 0);
      const [example] = failed;
      throw new Error(
        `${missing} of ${this.work()} images have no result: ${failed.length} job(s) failed ` +
          `(e.g. images ${imageRange(example.job)} at eps ${example.job.eps}: ${this.failures.get(example.key)?.reason}); ` +
          `fix that, then retry them with advx evaluate --queue ${displayUrl(this.url)} --attach ${spec.id}`,
      );
    }
    const evaluations: EvaluationResult[] = spec.configs.map((config, e) => {
      const results = spec.shards.map((s) => this.state.results[resultKey(e, s.index)]);
      const merged = mergeShards(config, results);
      const result = resultOfState(merged);
      const folder = outFolder(spec, config.eps);
      if (folder !== null) {
        startState(folder, merged, false);
        writeFileAtomically(
          join(folder, RESULT_FILE),
          Buffer.from(JSON.stringify(result, null, 2) + '\n'),
          true,
        );
      }
      if (spec.configs.length > 1)
        this.emit({ kind: 'eps', eps: config.eps, index: e, count: spec.configs.length });
      summaryEvents(merged).forEach((event) => this.emit(event));
      return result;
    });
    if (spec.out === null && existsSync(this.folder)) rmSync(this.folder, { recursive: true, force: true });
    return epsilonsResult(evaluations);
  }
}
