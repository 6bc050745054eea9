/**
 * The determinism a queued evaluation rests on, without Redis: the images cut into whole-batch shards,
 * each shard run alone (in any order) with its global first batch, and the shards merged, give exactly the
 * single-process result, for a protocol whose per-image outcomes depend on the seeds (noise at eps 0.3,
 * then PGD on what is left).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { evaluate } from '../evaluation/evaluate.js';
import { dataDigest, loadEvaluationData } from '../evaluation/evaluation-data.js';
import { resultOfState, type EvaluationResult } from '../evaluation/evaluation-result.js';
import { newState } from '../evaluation/evaluation-state.js';
import { loadModel } from '../models/load.js';
import type { Model } from '../models/model.js';
import { JOB_VERSION, type ShardJob, type ShardResult } from './job-schema.js';
import { mergeShards } from './merge-shards.js';
import { runShard, shardFraction } from './run-shard.js';
import { planShards } from './shard-plan.js';

const IMAGES = 30;
const OFFSET = 5;
const BATCH = 4;
const OPTIONS = { norm: 'linf' as const, eps: 0.3, seed: 5, batchSize: BATCH };
const PROTOCOL = { name: 'custom' as const, attacks: ['linf-uniform-noise', 'linf-pgd'] };
let model: Model;

before(async () => {
  await initEngine();
  model = await loadModel('fashion-mnist-cnn-robust');
});
after(() => model.dispose());

const withoutTimes = (r: EvaluationResult) => ({
  ...r,
  attacks: r.attacks.map((a) => ({ ...a, seconds: 0 })),
});

function jobOf(start: number, images: number, firstBatch: number): ShardJob {
  const data = loadEvaluationData({ dataset: 'fashion-mnist', images, offset: OFFSET + start });
  return {
    version: JOB_VERSION,
    evaluation: 'ev-test',
    epsIndex: 0,
    shard: 0,
    model: { spec: 'fashion-mnist-cnn-robust', engine: 'onnx', hash: '' },
    dataset: 'fashion-mnist',
    offset: OFFSET + start,
    images,
    data: dataDigest(data),
    protocol: PROTOCOL,
    attacks: ['linf-uniform-noise', 'linf-pgd'],
    ...OPTIONS,
    firstBatch,
  };
}

test('shards run alone, in any order, merge to the single-process result', async () => {
  const selection = { dataset: 'fashion-mnist' as const, images: IMAGES, offset: OFFSET };
  const single = await evaluate(model, selection, PROTOCOL, OPTIONS);
  assert.ok(
    single.perImage.some((p) => p.fooledBy === 'linf-uniform-noise'),
    'the noise fools some images (its seeds matter)',
  );
  assert.ok(
    single.perImage.some((p) => p.fooledBy === 'linf-pgd'),
    'PGD fools some of the rest',
  );

  const tensors = tf.memory().numTensors;
  const shards = planShards(IMAGES, BATCH, 10); // 12, 12, 6 images: whole batches of 4
  assert.deepEqual(
    shards.map((s) => [s.start, s.images, s.firstBatch]),
    [
      [0, 12, 0],
      [12, 12, 3],
      [24, 6, 6],
    ],
  );
  const results: ShardResult[] = new Array<ShardResult>(shards.length);
  for (const shard of [...shards].reverse()) {
    const fractions: number[] = [];
    const part = await runShard(jobOf(shard.start, shard.images, shard.firstBatch), model, (f) =>
      fractions.push(f),
    );
    assert.ok(
      fractions.length > 0 && fractions.every((f, i) => f >= 0 && f <= 1 && f >= (fractions[i - 1] ?? 0)),
    );
    results[shard.index] = { ...part, worker: 'test', seconds: 0 };
  }
  assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind');
  const config = newState({
    model: model.name,
    dataset: 'fashion-mnist',
    images: IMAGES,
    offset: OFFSET,
    data: dataDigest(loadEvaluationData(selection)),
    protocol: 'custom',
    attacks: ['linf-uniform-noise', 'linf-pgd'],
    ...OPTIONS,
  }).config;
  const merged = resultOfState(mergeShards(config, results));
  assert.deepEqual(withoutTimes(merged), withoutTimes(single));

  // The shard's first batch number decides its seeds: the middle shard numbered as if it came first
  // draws other noise, and some image ends otherwise.
  const renumbered = await runShard(jobOf(12, 12, 0), model);
  assert.notDeepEqual(renumbered.perImage, results[1].perImage);
});

test('merging refuses shards that do not cover the evaluation in order', () => {
  const config = newState({
    model: 'm',
    dataset: 'fashion-mnist',
    images: 2,
    offset: 0,
    data: 'x',
    protocol: 'pgd',
    attacks: ['linf-pgd'],
    ...OPTIONS,
  }).config;
  const shard = (index: number): ShardResult => ({
    perImage: [{ index, label: 0, clean: true, fooledBy: null }],
    cleanSeconds: 0,
    sanity: { probabilityRows: 0, randomized: null, gradients: null },
    attacks: [{ seconds: 0, usedGradients: null }],
    worker: 'w',
    seconds: 0,
  });
  assert.throws(() => mergeShards(config, [shard(0)]), /the shards hold 1 images, the evaluation 2/);
  assert.throws(
    () => mergeShards(config, [shard(1), shard(0)]),
    /image 0 of the merged shards is not dataset image 0/,
  );
  const state = mergeShards(config, [shard(0), shard(1)]);
  assert.equal(state.attacks[0].done, true);
  assert.equal(state.attacks[0].usedGradients, null, 'no attack ran on any shard');
});

test('a shard whose images differ from the job is refused', async () => {
  const job = { ...jobOf(0, 4, 0), data: 'not-the-digest' };
  await assert.rejects(
    runShard(job, model),
    /^Error: fashion-mnist images 5\.\.8: this worker's copy differs \(labels digest [0-9a-f]+, the job's not-the-digest\)$/,
  );
  assert.equal(shardFraction({ kind: 'warning', message: '' }), null);
});
