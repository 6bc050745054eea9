/**
 * What travels through the queue: a shard job (everything a worker needs to reproduce its part of an
 * evaluation, checked on arrival) and a shard result (the per-image outcomes and sanity counts the
 * coordinator merges, checked on return). Both are plain JSON.
 */
import { DATASET_NAMES, type DatasetName } from '../evaluation/evaluation-data.js';
import type { ImageState, SanityState } from '../evaluation/evaluation-state.js';
import {
  EVALUATION_NORMS,
  PROTOCOL_NAMES,
  type EvaluationNorm,
  type ProtocolName,
} from '../evaluation/protocols.js';
import type { ModelReference } from './model-identity.js';

export const JOB_VERSION = 1;

/** The BullMQ queue every advx evaluation and worker shares. */
export const QUEUE_NAME = 'advx-evaluate';

/** A protocol by name; `custom` lists registry attack names. */
export interface QueuedProtocol {
  name: ProtocolName;
  attacks?: string[];
}

export interface ShardJob {
  version: number;
  /** Id of the queued evaluation. */
  evaluation: string;
  /** Which of the evaluation's eps (position in its list). */
  epsIndex: number;
  /** Which shard (position in the plan). */
  shard: number;
  model: ModelReference;
  dataset: DatasetName;
  /** Dataset index of the shard's first image; the shard is `images` consecutive images from there. */
  offset: number;
  images: number;
  /** dataDigest of the shard's images (indices and labels): the worker's copy must match. */
  data: string;
  protocol: QueuedProtocol;
  /** The protocol's attack names, in order (the worker's must match). */
  attacks: string[];
  norm: EvaluationNorm;
  eps: number;
  seed: number;
  batchSize: number;
  /** Number of the shard's first batch in the whole evaluation (seeds depend on it). */
  firstBatch: number;
}

export interface ShardResult {
  /** The shard's images, in order. */
  perImage: ImageState[];
  cleanSeconds: number;
  sanity: SanityState;
  /** Per attack, in protocol order. */
  attacks: { seconds: number; usedGradients: boolean | null }[];
  /** The worker that ran it. */
  worker: string;
  /** Seconds the job took on the worker, model loading included. */
  seconds: number;
}

/** The queue job id of a shard: unique per evaluation, eps and shard (re-adding it is a no-op). */
export function shardJobId(evaluation: string, epsIndex: number, shard: number): string {
  return `${evaluation}-e${epsIndex}-s${shard}`;
}

/** Dataset indices of a job's images as people read them. */
export function imageRange(job: { offset: number; images: number }): string {
  return `${job.offset}..${job.offset + job.images - 1}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isCount = (v: unknown, min = 0): v is number => Number.isInteger(v) && (v as number) >= min;
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** The first problem with a job's data, or null. */
function jobProblem(v: Record<string, unknown>): string | null {
  if (v.version !== JOB_VERSION) return `job version ${String(v.version)}, this worker reads ${JOB_VERSION}`;
  const model = v.model as Partial<ModelReference> | undefined;
  if (!isObject(model) || typeof model.spec !== 'string' || typeof model.hash !== 'string')
    return 'no model reference';
  if (!(DATASET_NAMES as readonly unknown[]).includes(v.dataset))
    return `unknown data set ${String(v.dataset)}`;
  const protocol = v.protocol as Partial<QueuedProtocol> | undefined;
  if (!isObject(protocol) || !(PROTOCOL_NAMES as readonly unknown[]).includes(protocol.name))
    return 'unknown protocol';
  if (protocol.attacks !== undefined && !isStrings(protocol.attacks)) return 'bad attack list';
  if (!(EVALUATION_NORMS as readonly unknown[]).includes(v.norm)) return `unknown norm ${String(v.norm)}`;
  if (typeof v.eps !== 'number' || !Number.isFinite(v.eps)) return 'no eps';
  for (const key of ['epsIndex', 'shard', 'offset', 'seed', 'firstBatch'] as const)
    if (!isCount(v[key])) return `${key} must be an integer >= 0`;
  for (const key of ['images', 'batchSize'] as const) if (!isCount(v[key], 1)) return `${key} must be >= 1`;
  if (typeof v.evaluation !== 'string' || typeof v.data !== 'string' || !isStrings(v.attacks))
    return 'missing evaluation id, data digest or attack names';
  return null;
}

/** The job's data as a ShardJob, or a one-line error saying what is wrong with it. */
export function checkShardJob(value: unknown): ShardJob {
  const problem = isObject(value) ? jobProblem(value) : 'not an object';
  if (problem !== null) throw new Error(`not an advx shard job: ${problem}`);
  return value as unknown as ShardJob;
}

/** The first problem with a worker's result for `job`, or null. */
export function resultProblem(job: ShardJob, value: unknown): string | null {
  if (!isObject(value)) return 'no result';
  const result = value as Partial<ShardResult>;
  if (!Array.isArray(result.perImage) || result.perImage.length !== job.images)
    return `${Array.isArray(result.perImage) ? result.perImage.length : 0} images in the result, ${job.images} in the job`;
  const wrong = result.perImage.findIndex((p, i) => !isObject(p) || p.index !== job.offset + i);
  if (wrong >= 0) return `image ${wrong} of the result is not dataset image ${job.offset + wrong}`;
  if (!Array.isArray(result.attacks) || result.attacks.length !== job.attacks.length)
    return 'attack records do not match the protocol';
  if (!isObject(result.sanity) || typeof result.cleanSeconds !== 'number') return 'no sanity counts';
  return null;
}
