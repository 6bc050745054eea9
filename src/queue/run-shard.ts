/**
 * A worker's part of a queued evaluation: the whole protocol over one shard's images, run by the same
 * `prepareEvaluation` as a single-process evaluation, with the shard's global first batch so that seeds
 * and batches are the single-process run's (see shard-plan.ts). No state file: a shard is redone whole
 * when its worker dies.
 */
import { prepareEvaluation, type EvaluationEvent } from '../evaluation/evaluate.js';
import { dataDigest, loadEvaluationData } from '../evaluation/evaluation-data.js';
import type { Model } from '../models/model.js';
import { imageRange, type ShardJob, type ShardResult } from './job-schema.js';

/** Fraction of a shard's work done, from its evaluation's progress events (clean pass, then each attack). */
export function shardFraction(event: EvaluationEvent): number | null {
  if (event.kind !== 'progress') return null;
  const stage = event.stage === 'clean' ? 0 : event.attackIndex + 1;
  const within = event.total === 0 ? 1 : event.done / event.total;
  return Math.min(1, (stage + within) / (event.attacks + 1));
}

/** Runs `job` on `model` (the job's model, checked by the caller); `onProgress` gets fractions in [0, 1]. */
export async function runShard(
  job: ShardJob,
  model: Model,
  onProgress?: (fraction: number) => void,
): Promise<Omit<ShardResult, 'worker' | 'seconds'>> {
  const data = loadEvaluationData({ dataset: job.dataset, images: job.images, offset: job.offset });
  const digest = dataDigest(data);
  if (digest !== job.data)
    throw new Error(
      `${job.dataset} images ${imageRange(job)}: this worker's copy differs (labels digest ${digest}, the job's ${job.data})`,
    );
  const prepared = await prepareEvaluation(model, data, job.protocol, {
    norm: job.norm,
    eps: job.eps,
    seed: job.seed,
    batchSize: job.batchSize,
    firstBatch: job.firstBatch,
    onEvent: (event) => {
      const fraction = shardFraction(event);
      if (fraction !== null) onProgress?.(fraction);
    },
  });
  const names = prepared.config.attacks;
  if (names.join(',') !== job.attacks.join(','))
    throw new Error(
      `protocol ${job.protocol.name}: this worker runs ${names.join(', ')}, the job ${job.attacks.join(', ')}`,
    );
  await prepared.run();
  const { state } = prepared;
  return {
    perImage: state.perImage,
    cleanSeconds: state.cleanSeconds,
    sanity: state.sanity,
    attacks: state.attacks.map((a) => ({ seconds: a.seconds, usedGradients: a.usedGradients })),
  };
}
