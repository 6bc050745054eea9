import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { blackBoxModel } from './black-box-model.js';
import { functionModel } from './forward-model.js';
import {
  argmaxRows,
  canAnswer,
  isDecisionOnly,
  LOG_PROBABILITY_FLOOR,
  logitsOfOutputs,
  outputsOf,
  outputsOfLogits,
  readOutputs,
  softmaxRows,
  type OutputBatch,
} from './model-outputs.js';

before(() => initEngine());

const N = 3;
const K = 5;
const LOGITS = Float32Array.from([2, -1, 0.5, 3, 0, -4, 7, 1, 1, 2, 0.25, 0.25, 0.25, 0.25, 0.25]);

/** The numbers of a logits or scores batch. */
function numbers(batch: OutputBatch): number[] {
  assert.ok(batch.kind === 'logits' || batch.kind === 'scores', `a ${batch.kind} batch`);
  return Array.from(batch.values);
}

function logSoftmax(values: Float32Array): number[] {
  return tf.tidy(() => Array.from(tf.logSoftmax(tf.tensor2d(values, [N, K])).dataSync()));
}

test('scores become log-probabilities: the logits up to a per-row constant, argmax kept', () => {
  const scores = outputsOfLogits(LOGITS, N, K, 'scores');
  assert.equal(scores.kind, 'scores');
  const p = numbers(scores);
  for (let row = 0; row < N; row++) {
    const sum = p.slice(row * K, (row + 1) * K).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-12, `row ${row} sums to ${sum}`);
  }
  const logits = logitsOfOutputs(scores, N, K);
  logSoftmax(LOGITS).forEach((expected, i) => assert.ok(Math.abs(logits[i] - expected) < 1e-5, `${i}`));
  assert.deepEqual(argmaxRows(logits, N, K), argmaxRows(LOGITS, N, K));
});

test('a probability of 0 gives the finite floor, not -Infinity', () => {
  const logits = logitsOfOutputs({ kind: 'scores', values: [1, 0, 0] }, 1, 3);
  assert.deepEqual(Array.from(logits), [0, LOG_PROBABILITY_FLOOR, LOG_PROBABILITY_FLOOR]);
});

test('labels become a one-hot-like log-probability whose argmax is the label', () => {
  const labels = outputsOfLogits(LOGITS, N, K, 'label');
  assert.deepEqual(labels, { kind: 'label', labels: argmaxRows(LOGITS, N, K) });
  const logits = logitsOfOutputs(labels, N, K);
  assert.deepEqual(argmaxRows(logits, N, K), argmaxRows(LOGITS, N, K));
  const p = softmaxRows(logits, N, K);
  assert.ok(p[argmaxRows(LOGITS, N, K)[0]] > 1 - 1e-12);
});

test('top-k: the k classes keep their log-probability, the others share the rest below them', () => {
  const top = outputsOfLogits(LOGITS, N, K, 'topk', 2);
  assert.ok(top.kind === 'topk');
  const rows = top.top;
  assert.deepEqual(
    rows.map((r) => r.length),
    [2, 2, 2],
  );
  assert.equal(rows[0][0].index, 3);
  assert.equal(rows[0][1].index, 0);
  assert.equal(rows[1][0].index, 1);
  assert.deepEqual(
    rows[2].map((c) => c.index),
    [0, 1],
    'ties go to the first index',
  );
  const logits = logitsOfOutputs(top, N, K);
  const exact = logSoftmax(LOGITS);
  rows.forEach((classes, row) => {
    for (const c of classes) assert.ok(Math.abs(logits[row * K + c.index] - exact[row * K + c.index]) < 1e-5);
    const rest = 1 - classes[0].p - classes[1].p;
    for (let j = 0; j < K; j++) {
      if (classes.some((c) => c.index === j)) continue;
      assert.ok(Math.abs(logits[row * K + j] - Math.log(rest / (K - 2))) < 1e-5);
      assert.ok(logits[row * K + j] <= logits[row * K + classes[1].index] + 1e-6);
    }
  });
  assert.deepEqual(argmaxRows(logits, N, K), argmaxRows(LOGITS, N, K));
});

test('readOutputs takes flat or row answers and names what is wrong with a bad one', () => {
  const rows = [
    [1, 2],
    [3, 4],
  ];
  assert.deepEqual(numbers(readOutputs(rows, 'logits', 2, 2, 's')), [1, 2, 3, 4]);
  assert.deepEqual(numbers(readOutputs(new Float32Array([1, 2, 3, 4]), 'logits', 2, 2, 's')), [1, 2, 3, 4]);
  const bad: [unknown, Parameters<typeof readOutputs>[1], RegExp][] = [
    [[1, 2, 3], 'logits', /^svc: expected logits \[2,2\] \(rows or flat\), got an array of 3$/],
    [[[1, 2], [3]], 'scores', /^svc: expected scores \[2,2\] \(rows or flat\), got row 1 of 1 values$/],
    [[1, -0.5, 0, 1], 'scores', /^svc: scores value -0.5 at \[0,1\] is not a finite probability >= 0$/],
    [[1, null, 0, 1], 'logits', /^svc: expected logits/],
    [{ scores: [] }, 'scores', /^svc: expected scores \[2,2\] \(rows or flat\), got an object$/],
    [[0, 2], 'label', /^svc: label 2 is not a class index in \[0, 1\]$/],
    [[0], 'label', /^svc: expected 2 labels, got an array of 1$/],
    [[0.5, 1], 'label', /^svc: label 0.5 is not a class index/],
    [
      [[{ index: 0, p: 0.5 }], [{ index: 1, p: 1.5 }]],
      'topk',
      /^svc: top-k list 1: p 1.5 is not a probability/,
    ],
    [
      [
        [
          { index: 0, p: 0.5 },
          { index: 0, p: 0.1 },
        ],
        [],
      ],
      'topk',
      /^svc: top-k list 0: index 0 is not a new class/,
    ],
    [[[{ index: 0, p: 0.5 }], []], 'topk', /^svc: top-k list 1 has 0 entries/],
  ];
  for (const [value, kind, message] of bad)
    assert.throws(() => readOutputs(value, kind, 2, 2, 'svc'), { message });
});

test('what a model answers: logits unless it says otherwise; a server may give less, never more', () => {
  const linear = functionModel((x) => tf.reshape(x, [x.shape[0], 2]) as tf.Tensor2D, {
    name: 'linear',
    inputShape: [1, 2, 1],
    labels: ['a', 'b'],
  });
  assert.equal(outputsOf(linear), 'logits');
  assert.equal(isDecisionOnly(linear), false);
  const decisions = blackBoxModel(() => [0], { inputShape: [1, 2, 1], numClasses: 2, output: 'label' });
  assert.equal(outputsOf(decisions), 'label');
  assert.equal(isDecisionOnly(decisions), true);
  assert.ok(canAnswer('logits', 'scores') && canAnswer('scores', 'logits') && canAnswer('scores', 'label'));
  assert.ok(canAnswer('topk', 'label') && !canAnswer('topk', 'scores') && !canAnswer('label', 'topk'));
});
