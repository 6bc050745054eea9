/**
 * The coordinator's state file, `queue.json`: the evaluation's full specification (model reference,
 * one configuration per eps, the shard plan) and every shard result received so far. It is the source of
 * truth, written atomically after each result: Redis only holds the work in flight, so whatever Redis
 * loses (a restart without persistence) is enqueued again from this file, and a restarted coordinator
 * continues from it (`--resume` with the same `--out`, or `--attach ID`).
 *
 * It lives in `--out` beside the per-eps results, or in `<cache>/queue/ID/` when there is no `--out`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../data/atomic-write.js';
import { defaultCacheDir } from '../data/locations.js';
import type { DatasetName } from '../evaluation/evaluation-data.js';
import { configDifference, type EvaluationConfig } from '../evaluation/evaluation-state.js';
import type { QueuedProtocol, ShardResult } from './job-schema.js';
import type { ModelReference } from './model-identity.js';
import type { ShardPlan } from './shard-plan.js';

export const QUEUE_STATE_FILE = 'queue.json';
const VERSION = 1;

export interface QueuedEvaluationSpec {
  id: string;
  /** ISO time it was created. */
  created: string;
  model: ModelReference;
  dataset: DatasetName;
  protocol: QueuedProtocol;
  /** One configuration per eps, exactly as a single-process evaluation records it. */
  configs: EvaluationConfig[];
  shards: ShardPlan[];
  /** dataDigest of each shard's images. */
  shardData: string[];
  /** The output folder (per-eps state.json and evaluation.json go where a single-process run puts them). */
  out: string | null;
}

export interface QueueState {
  version: number;
  spec: QueuedEvaluationSpec;
  /** Shard results by `resultKey(epsIndex, shard)`. */
  results: Record<string, ShardResult>;
}

export const resultKey = (epsIndex: number, shard: number) => `${epsIndex}/${shard}`;

/** Where an evaluation's state lives: its output folder, or a folder of the cache named by its id. */
export function stateFolder(out: string | null, id: string, cacheDir = defaultCacheDir()): string {
  return out ?? join(cacheDir, 'queue', id);
}

export function saveQueueState(folder: string, state: QueueState): void {
  writeFileAtomically(join(folder, QUEUE_STATE_FILE), Buffer.from(JSON.stringify(state)), true);
}

export function readQueueState(folder: string): QueueState {
  const path = join(folder, QUEUE_STATE_FILE);
  let value: Partial<QueueState>;
  try {
    value = JSON.parse(readFileSync(path, 'utf8')) as Partial<QueueState>;
  } catch (error) {
    throw new Error(`${path}: cannot read the queued evaluation (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (value?.version !== VERSION || typeof value.spec !== 'object' || typeof value.results !== 'object')
    throw new Error(`${path}: not an advx queued evaluation (version ${VERSION})`);
  return value as QueueState;
}

export function hasQueueState(folder: string): boolean {
  return existsSync(join(folder, QUEUE_STATE_FILE));
}

/** The first way `recorded` differs from `expected` in what decides results, as a phrase; null if none. */
function specDifference(recorded: QueuedEvaluationSpec, expected: QueuedEvaluationSpec): string | null {
  if (recorded.configs.length !== expected.configs.length)
    return `${recorded.configs.length} eps, not ${expected.configs.length}`;
  for (let e = 0; e < expected.configs.length; e++) {
    const difference = configDifference(recorded.configs[e], expected.configs[e]);
    if (difference !== null) return difference;
  }
  if (recorded.model.hash !== expected.model.hash) return 'other model files (content hash)';
  if (recorded.model.engine !== expected.model.engine)
    return `engine ${recorded.model.engine}, not ${expected.model.engine}`;
  return null;
}

/**
 * The state to run from in `folder`: with `resume`, the recorded one (same settings only; its id and
 * shard plan are kept); else a new one, refused when an earlier queued evaluation is there unless `force`.
 */
export function openQueueState(
  folder: string,
  spec: QueuedEvaluationSpec,
  options: { resume?: boolean; force?: boolean },
): QueueState {
  if (existsSync(folder) && !statSync(folder).isDirectory()) throw new Error(`${folder}: not a folder`);
  const path = join(folder, QUEUE_STATE_FILE);
  if (options.resume) {
    if (!existsSync(path))
      throw new Error(`--resume: no ${QUEUE_STATE_FILE} in ${folder} (a queued evaluation) to continue from`);
    const state = readQueueState(folder);
    const difference = specDifference(state.spec, spec);
    if (difference !== null)
      throw new Error(`--resume: ${path} was made with ${difference}; resume with the same settings`);
    return state;
  }
  if (existsSync(path) && !options.force)
    throw new Error(
      `${path} exists (an earlier queued evaluation): use --resume to continue it, --force to start over, or another --out`,
    );
  return { version: VERSION, spec, results: {} };
}
