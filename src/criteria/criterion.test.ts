import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tf } from '../engine/tf.js';
import { initEngine } from '../engine/backend.js';
import { and, asCriterion, confident, misclassification, targeted, topK, type Criterion } from './index.js';

// Three inputs, four classes. Softmax of row 0 puts 0.88 on class 2; row 1 is flat; row 2 favours class 0.
const logits = () =>
  tf.tensor2d([
    [0, 0, 3, 0.5],
    [1, 1, 1, 1],
    [4, 0, 1, 0],
  ]);
const x = () => tf.zeros([3, 1, 1, 1]) as tf.Tensor4D;

function flags(c: Criterion): boolean[] {
  return Array.from(tf.tidy(() => c.isAdversarial(x(), logits())).dataSync(), Boolean);
}

test('misclassification: top-1 differs from the label', async () => {
  await initEngine();
  assert.deepEqual(flags(misclassification([2, 0, 1])), [false, false, true]);
  assert.deepEqual(flags(asCriterion([0, 0, 0])), [true, false, false]);
});

test('targeted: top-1 equals the target', async () => {
  assert.deepEqual(flags(targeted([2, 3, 0])), [true, false, true]);
  assert.equal(targeted([1, 1, 1]).goal()?.targeted, true);
});

test('confident: another class holds at least p', async () => {
  const p = tf.softmax(logits()).arraySync() as number[][];
  assert.ok(p[0][2] > 0.8 && p[0][2] < 0.9);
  assert.deepEqual(flags(confident(0.8, [0, 0, 1])), [true, false, true]);
  assert.deepEqual(flags(confident(0.9, [0, 0, 1])), [false, false, true]);
  assert.deepEqual(flags(confident(0.8, [2, 2, 0])), [false, false, false]);
});

test('top-k: the label is outside the k largest logits', async () => {
  assert.deepEqual(flags(topK(1, [3, 0, 2])), [true, false, true]);
  assert.deepEqual(flags(topK(2, [3, 0, 2])), [false, false, false]);
  assert.deepEqual(flags(topK(2, [0, 0, 1])), [true, false, true]);
});

test('and combines, subset picks rows', async () => {
  const c = and(misclassification([0, 0, 1]), confident(0.8, [0, 0, 1]));
  assert.deepEqual(flags(c), [true, false, true]);
  assert.deepEqual(c.goal(), { labels: [0, 0, 1], targeted: false });
  const sub = c.subset([2]);
  assert.deepEqual(
    Array.from(
      tf
        .tidy(() => sub.isAdversarial(tf.zeros([1, 1, 1, 1]) as tf.Tensor4D, tf.tensor2d([[4, 0, 1, 0]])))
        .dataSync(),
      Boolean,
    ),
    [true],
  );
});

test('bad labels are named', async () => {
  assert.throws(() => misclassification([0, -1]), /non-negative class indices/);
  assert.throws(() => flags(misclassification([0, 0])), /2 labels for a batch of 3/);
  assert.throws(() => flags(misclassification([0, 0, 9])), /class 9 is out of range/);
  assert.throws(() => confident(1.5, [0]), /confidence must be in/);
  assert.throws(() => topK(0, [0]), /integer k >= 1/);
});
