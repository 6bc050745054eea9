/**
 * What `advx queue status` reads: one record per queued evaluation (written by its coordinator at every
 * look at its jobs) and one per live worker (a heartbeat that expires when the worker stops beating), as
 * JSON strings under `advx:evaluation:ID` and `advx:worker:ID`. Records expire on their own, so a lost
 * coordinator or worker disappears from the listing; after Redis loses its data they are written again
 * at the next beat.
 */
import type { Redis } from 'ioredis';

const EVALUATION_PREFIX = 'advx:evaluation:';
const WORKER_PREFIX = 'advx:worker:';

export type EvaluationStatus = 'running' | 'done' | 'failed';

export interface EvaluationRecord {
  id: string;
  status: EvaluationStatus;
  model: string;
  dataset: string;
  /** Dataset indices evaluated, e.g. `0..99`. */
  images: string;
  norm: string;
  eps: number[];
  protocol: string;
  attacks: string[];
  jobs: number;
  jobsDone: number;
  jobsFailed: number;
  /** Images x eps: the work in all, and done so far (shards in progress count by their progress). */
  work: number;
  workDone: number;
  /** Where the coordinator keeps its state (on its machine). */
  stateFolder: string;
  coordinator: { host: string; pid: number };
  /** ms since the epoch. */
  updated: number;
}

export interface WorkerRecord {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  /** Job ids being worked on. */
  active: string[];
  jobsDone: number;
  jobsFailed: number;
  started: number;
  updated: number;
}

export async function putEvaluationRecord(redis: Redis, record: EvaluationRecord, ttlSeconds: number) {
  await redis.set(EVALUATION_PREFIX + record.id, JSON.stringify(record), 'EX', ttlSeconds);
}

export async function readEvaluationRecord(redis: Redis, id: string): Promise<EvaluationRecord | null> {
  const text = await redis.get(EVALUATION_PREFIX + id);
  return text === null ? null : (JSON.parse(text) as EvaluationRecord);
}

export async function putWorkerRecord(redis: Redis, record: WorkerRecord, ttlSeconds: number) {
  await redis.set(WORKER_PREFIX + record.id, JSON.stringify(record), 'EX', ttlSeconds);
}

export async function deleteWorkerRecord(redis: Redis, id: string) {
  await redis.del(WORKER_PREFIX + id);
}

async function readAll<T>(redis: Redis, prefix: string): Promise<T[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 200);
    keys.push(...found);
    cursor = next;
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as T);
}

export function listEvaluations(redis: Redis): Promise<EvaluationRecord[]> {
  return readAll<EvaluationRecord>(redis, EVALUATION_PREFIX);
}

export function listWorkers(redis: Redis): Promise<WorkerRecord[]> {
  return readAll<WorkerRecord>(redis, WORKER_PREFIX);
}
