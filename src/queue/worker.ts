/**
 * A queue worker (`advx worker --queue URL`): takes shard jobs of any queued evaluation from the shared
 * BullMQ queue, `concurrency` at a time, and runs each (run-shard.ts) on the job's model, which it loads
 * once and keeps (worker-models.ts), refusing a job whose model files hash differently from the job's.
 *
 * While it works on a job it holds the job's lock (its lease), renewed every half lease; a worker that
 * dies stops renewing, and after the lease the job is stalled: any worker's stall check (every lease)
 * puts it back on the queue for another worker. A job whose workers die 3 times fails. It also beats
 * a heartbeat record for `advx queue status` (registry.ts).
 */
import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { initEngine } from '../engine/backend.js';
import { checkShardJob, imageRange, QUEUE_NAME, type ShardJob, type ShardResult } from './job-schema.js';
import { checkRedis, closeRedis, connectRedis, parseQueueUrl } from './redis-connection.js';
import { deleteWorkerRecord, putWorkerRecord, type WorkerRecord } from './registry.js';
import { runShard } from './run-shard.js';
import { WorkerModels } from './worker-models.js';

export const DEFAULT_LEASE_SECONDS = 60;
const BEAT_SECONDS = 5;
const BEAT_TTL_SECONDS = 30;
/** Progress updates a job sends at most this often (milliseconds). */
const PROGRESS_EVERY_MS = 500;

export type WorkerEvent =
  | { kind: 'ready'; id: string; concurrency: number }
  | { kind: 'job-start'; job: string; evaluation: string; images: string; eps: number; model: string }
  | { kind: 'job-done'; job: string; images: string; seconds: number }
  | { kind: 'job-failed'; job: string; reason: string; attempt: number; attempts: number }
  | { kind: 'redis'; up: boolean; reason?: string };

export interface WorkerOptions {
  /** `redis://HOST:PORT[/DB]`. */
  queue: string;
  /** Jobs at a time (default 1). */
  concurrency?: number;
  /** Seconds a job's lock lasts without renewal: how soon the job of a dead worker is retried (default 60). */
  leaseSeconds?: number;
  /** How the worker shows in `advx queue status` (default HOST-PID). */
  name?: string;
  /** ONNX Runtime threads of the models it loads (default: all cores). */
  threads?: number;
  onEvent?: (event: WorkerEvent) => void;
}

export interface RunningWorker {
  readonly id: string;
  /** Stops taking jobs; waits for the jobs in hand unless `force` (they then go to other workers). */
  close(force?: boolean): Promise<void>;
}

/** Checks the options (one-line errors) and that Redis answers, then starts taking jobs. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const url = parseQueueUrl(options.queue);
  const concurrency = options.concurrency ?? 1;
  const lease = options.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error(`concurrency: give an integer >= 1 (got ${concurrency})`);
  if (!(lease >= 1)) throw new Error(`lease: give at least 1 second (got ${lease})`);
  await checkRedis(url);
  await initEngine();
  const emit = options.onEvent ?? (() => undefined);
  const id = options.name ?? `${hostname()}-${process.pid}`;
  const redis = connectRedis(url, (up, reason) => emit({ kind: 'redis', up, reason }));
  const models = new WorkerModels({ threads: options.threads });
  const record: WorkerRecord = {
    id,
    host: hostname(),
    pid: process.pid,
    concurrency,
    active: [],
    jobsDone: 0,
    jobsFailed: 0,
    started: Date.now(),
    updated: Date.now(),
  };
  const active = new Set<string>();
  /** Writes the heartbeat record (also at every job's start and end, so that status is current). */
  const beat = () => {
    record.active = [...active];
    record.updated = Date.now();
    putWorkerRecord(redis, record, BEAT_TTL_SECONDS).catch(() => undefined);
  };

  const processJob = async (job: Job<ShardJob, ShardResult>): Promise<ShardResult> => {
    const started = Date.now();
    let shard: ShardJob;
    try {
      shard = checkShardJob(job.data);
    } catch (error) {
      throw new UnrecoverableError((error as Error).message);
    }
    const jobId = job.id ?? '?';
    active.add(jobId);
    beat();
    emit({
      kind: 'job-start',
      job: jobId,
      evaluation: shard.evaluation,
      images: imageRange(shard),
      eps: shard.eps,
      model: shard.model.spec,
    });
    try {
      const model = await models.get(shard.model);
      let sent = 0;
      const result = await runShard(shard, model, (fraction) => {
        if (Date.now() - sent < PROGRESS_EVERY_MS) return;
        sent = Date.now();
        job.updateProgress(fraction).catch(() => undefined);
      });
      const seconds = (Date.now() - started) / 1000;
      record.jobsDone++;
      emit({ kind: 'job-done', job: jobId, images: imageRange(shard), seconds });
      return { ...result, worker: id, seconds };
    } catch (error) {
      record.jobsFailed++;
      throw error;
    } finally {
      active.delete(jobId);
      beat();
    }
  };

  const worker = new Worker<ShardJob, ShardResult>(QUEUE_NAME, processJob, {
    connection: redis,
    concurrency,
    lockDuration: lease * 1000,
    stalledInterval: lease * 1000,
    maxStalledCount: 3,
    name: id,
  });
  worker.on('error', () => undefined); // the connection reports outages
  worker.on('failed', (job, error) => {
    if (job === undefined) return;
    emit({
      kind: 'job-failed',
      job: job.id ?? '?',
      reason: error.message,
      attempt: job.attemptsMade,
      attempts: job.opts.attempts ?? 1,
    });
  });
  const beating = setInterval(beat, BEAT_SECONDS * 1000);
  beat();
  await worker.waitUntilReady();
  emit({ kind: 'ready', id, concurrency });
  return {
    id,
    async close(force = false) {
      clearInterval(beating);
      await worker.close(force);
      // Redis may be away: the record expires on its own then.
      const gone = new Promise((resolve) => setTimeout(resolve, 2000).unref());
      await Promise.race([deleteWorkerRecord(redis, id).catch(() => undefined), gone]);
      models.dispose();
      closeRedis(redis);
    },
  };
}
