import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { imagesPerChunk, repeatEachRow, repeatOwners } from './probe-batches.js';

before(() => initEngine());

test('probe batches: each row repeated in place, its owners alike, chunks of about 2^22 values', () => {
  const t = tf.tensor2d([
    [1, 2],
    [3, 4],
  ]);
  const repeated = repeatEachRow(t, 3);
  assert.deepEqual(repeated.arraySync(), [
    [1, 2],
    [1, 2],
    [1, 2],
    [3, 4],
    [3, 4],
    [3, 4],
  ]);
  assert.deepEqual(repeatOwners([5, 2], 2), [5, 5, 2, 2]);
  assert.equal(imagesPerChunk(28 * 28), 5349);
  assert.equal(imagesPerChunk(10_000_000), 1);
  tf.dispose([t, repeated]);
});
