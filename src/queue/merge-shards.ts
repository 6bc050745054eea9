/**
 * The state of a whole evaluation from its shards' results, in shard order: what a single-process run's
 * state holds at its end (per-image outcomes in dataset order, sanity counts summed, each attack's time
 * summed and whether it used gradients), so that `resultOfState` gives the same result. Only the first
 * shard runs the first-batch check (randomized model), as the single-process run does.
 */
import { newState, type EvaluationConfig, type EvaluationState } from '../evaluation/evaluation-state.js';
import type { ShardResult } from './job-schema.js';

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** null when every value is null (never asked), else whether any is true. */
function anyOf(values: (boolean | null)[]): boolean | null {
  const known = values.filter((v): v is boolean => v !== null);
  return known.length === 0 ? null : known.some((v) => v);
}

export function mergeShards(config: EvaluationConfig, results: readonly ShardResult[]): EvaluationState {
  const state = newState(config);
  state.perImage = results.flatMap((r) => r.perImage);
  if (state.perImage.length !== config.images)
    throw new Error(`the shards hold ${state.perImage.length} images, the evaluation ${config.images}`);
  const wrong = state.perImage.findIndex((p, i) => p.index !== config.offset + i);
  if (wrong >= 0)
    throw new Error(`image ${wrong} of the merged shards is not dataset image ${config.offset + wrong}`);
  state.cleanSeconds = sum(results.map((r) => r.cleanSeconds));
  const gradients = results.map((r) => r.sanity.gradients).filter((g) => g !== null);
  state.sanity = {
    probabilityRows: sum(results.map((r) => r.sanity.probabilityRows)),
    randomized: results.map((r) => r.sanity.randomized).find((v) => v !== null) ?? null,
    gradients:
      gradients.length === 0
        ? null
        : {
            zero: sum(gradients.map((g) => g.zero)),
            nonFinite: sum(gradients.map((g) => g.nonFinite)),
            checked: sum(gradients.map((g) => g.checked)),
          },
  };
  const blocks = Math.ceil(config.images / config.batchSize);
  state.attacks.forEach((record, k) => {
    record.batchesDone = blocks;
    record.done = true;
    record.seconds = sum(results.map((r) => r.attacks[k].seconds));
    record.usedGradients = anyOf(results.map((r) => r.attacks[k].usedGradients));
  });
  return state;
}
