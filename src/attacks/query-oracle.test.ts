/**
 * The query oracle: one query per image charged to its owner, a budget that is never exceeded (an over-budget
 * batch is refused before the model sees it), the criterion's verdict per owner, and the refusal of
 * decision-only models by score-based attacks.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { Misclassification, targeted } from '../criteria/index.js';
import { functionModel } from '../models/forward-model.js';
import { CountingModel } from './black-box-testing.js';
import { checkMaxQueries, QueryOracle } from './query-oracle.js';

before(() => initEngine());

/** Class 1 when the single pixel exceeds 0.5, else class 0. */
const threshold = functionModel(
  (x) => tf.concat([tf.zeros([x.shape[0], 1]), tf.sub(tf.reshape(x, [-1, 1]), 0.5)], 1) as Tensor2D,
  { name: 'threshold', inputShape: [1, 1, 1], labels: ['low', 'high'] },
);
const images = (values: number[]) => tf.tensor4d(values, [values.length, 1, 1, 1]) as Tensor4D;

test('each image is a query of its owner; the verdict is per owner', async () => {
  const counter = new CountingModel(threshold);
  const queries = [0, 0, 0];
  const oracle = new QueryOracle(counter, new Misclassification([0, 1, 0]), queries, 10, 'test');
  const batch = images([0.9, 0.9, 0.2, 0.7]);
  const verdict = await oracle.isAdversarial(batch, [0, 1, 1, 2]);
  assert.deepEqual(verdict, [true, false, true, true]);
  assert.deepEqual(queries, [1, 2, 1]);
  assert.equal(counter.total, 4);
  assert.equal(oracle.remaining(1), 8);
  assert.deepEqual(oracle.affordable([0, 1, 2], 9), [0, 2]);
  const aimed = new QueryOracle(threshold, targeted([1, 1, 0]), queries, 10, 'test');
  assert.deepEqual(await aimed.isAdversarial(batch, [0, 1, 1, 2]), [true, true, false, false]);
  batch.dispose();
});

test('a batch that would take an input past maxQueries is refused before the model sees it', async () => {
  const counter = new CountingModel(threshold);
  const queries = [2, 0];
  const oracle = new QueryOracle(counter, new Misclassification([0, 0]), queries, 3, 'nes');
  const batch = images([0.1, 0.2]);
  await assert.rejects(oracle.logits(batch, [0, 0]), /nes: input 0 would spend 4 queries \(maxQueries 3\)/);
  assert.deepEqual(queries, [2, 0]);
  assert.equal(counter.total, 0);
  await assert.rejects(oracle.logits(batch, [1]), /nes: 2 images for 1 owners/);
  batch.dispose();
});

test('score-based attacks refuse a model that only gives its decision; budgets are checked', () => {
  const decisionOnly = new CountingModel(threshold, 'label');
  const oracle = new QueryOracle(decisionOnly, new Misclassification([0]), [0], 5, 'spsa');
  assert.throws(
    () => oracle.requireScores(),
    /spsa needs scores, but model threshold only gives its decision/,
  );
  new QueryOracle(threshold, new Misclassification([0]), [0], 5, 'spsa').requireScores();
  assert.equal(checkMaxQueries('x', Infinity), Infinity);
  assert.throws(
    () => checkMaxQueries('boundary', 0),
    /boundary: maxQueries must be an integer >= 1 or Infinity/,
  );
});
