/** Shards are whole batches in dataset order, cover every image once, and carry their first batch number. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkShardJob, resultProblem, shardJobId, type ShardJob } from './job-schema.js';
import { planShards } from './shard-plan.js';

test('shards: whole batches, every image once, first batch = start / batch size', () => {
  for (const [images, batch, size] of [
    [1, 1, 1],
    [10, 3, 1],
    [10, 3, 7],
    [100, 100, 100],
    [250, 100, 150],
    [7, 100, 1000],
  ]) {
    const shards = planShards(images, batch, size);
    const covered = shards.flatMap((s) => Array.from({ length: s.images }, (_, i) => s.start + i));
    assert.deepEqual(
      covered,
      Array.from({ length: images }, (_, i) => i),
      `${images}/${batch}/${size}`,
    );
    for (const s of shards) {
      assert.equal(s.start % batch, 0, 'a shard starts on a batch');
      assert.equal(s.firstBatch, s.start / batch);
      assert.ok(s.images >= size || s.start + s.images === images, 'only the last shard is short');
    }
    assert.deepEqual(
      shards.map((s) => s.index),
      shards.map((_, i) => i),
    );
  }
  assert.throws(() => planShards(10, 4, 0), /^Error: shard size: give an integer >= 1 \(got 0\)$/);
  assert.throws(() => planShards(10, 2.5, 4), /^Error: batch size: give an integer >= 1 \(got 2\.5\)$/);
});

test('jobs and results are checked on arrival, with one line saying what is wrong', () => {
  const job: ShardJob = {
    version: 1,
    evaluation: 'ev-1',
    epsIndex: 0,
    shard: 2,
    model: { spec: 'fashion-mnist-cnn', engine: 'onnx', hash: 'abc' },
    dataset: 'fashion-mnist',
    offset: 8,
    images: 2,
    data: 'd',
    protocol: { name: 'pgd' },
    attacks: ['linf-pgd'],
    norm: 'linf',
    eps: 0.1,
    seed: 0,
    batchSize: 2,
    firstBatch: 4,
  };
  assert.equal(checkShardJob(JSON.parse(JSON.stringify(job))).shard, 2);
  assert.equal(shardJobId('ev-1', 0, 2), 'ev-1-e0-s2');
  const bad: [Partial<Record<keyof ShardJob, unknown>>, RegExp][] = [
    [{ version: 9 }, /job version 9, this worker reads 1/],
    [{ dataset: 'svhn' }, /unknown data set svhn/],
    [{ norm: 'l7' }, /unknown norm l7/],
    [{ images: 0 }, /images must be >= 1/],
    [{ firstBatch: -1 }, /firstBatch must be an integer >= 0/],
    [{ model: 'resnet' }, /no model reference/],
  ];
  for (const [change, message] of bad)
    assert.throws(
      () => checkShardJob({ ...job, ...change }),
      (e: Error) => /^not an advx shard job: /.test(e.message) && message.test(e.message),
    );
  assert.throws(() => checkShardJob('x'), /^Error: not an advx shard job: not an object$/);

  const image = (index: number) => ({ index, label: 1, clean: true, fooledBy: null });
  const result = {
    perImage: [image(8), image(9)],
    cleanSeconds: 0,
    sanity: { probabilityRows: 0, randomized: null, gradients: null },
    attacks: [{ seconds: 1, usedGradients: true }],
  };
  assert.equal(resultProblem(job, result), null);
  assert.equal(
    resultProblem(job, { ...result, perImage: [image(8)] }),
    '1 images in the result, 2 in the job',
  );
  assert.equal(
    resultProblem(job, { ...result, perImage: [image(8), image(10)] }),
    'image 1 of the result is not dataset image 9',
  );
  assert.equal(resultProblem(job, { ...result, attacks: [] }), 'attack records do not match the protocol');
});
