/**
 * Papernot's decision-tree attack on a tree trained on real Fashion-MNIST: it flips the tree's prediction
 * (checked by re-running the tree), changes only features tested on the adversarial input's decision
 * path, is the nearest such leaf (checked against a brute-force enumeration of all leaves), respects eps
 * and bounds, and leaves failed inputs unchanged.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadFashionMnist, type ImageDataset } from '../data/datasets.js';
import { trainDecisionTree, type DecisionTree } from './decision-tree.js';
import { sliceRows, subsample } from './rows.js';
import { treeAttack } from './tree-attack.js';

const D = 784;
const N = 300;
let tree: DecisionTree;
let inputs: ImageDataset;

before(() => {
  tree = trainDecisionTree(subsample(loadFashionMnist('train'), 3000, 1), { maxDepth: 12 });
  inputs = sliceRows(loadFashionMnist('test'), 0, N);
});

/** Fewest features the clean row violates on the path to any leaf of another class (brute force). */
function bruteForceL0(row: Float32Array, predicted: number): number {
  const { feature, threshold, left, right, nodeClass } = tree.tree;
  let best = Infinity;
  const walk = (node: number, violated: Set<number>): void => {
    if (feature[node] < 0) {
      if (nodeClass[node] !== predicted) best = Math.min(best, violated.size);
      return;
    }
    const f = feature[node];
    const goesLeft = row[f] <= threshold[node];
    walk(left[node], goesLeft ? violated : new Set([...violated, f]));
    walk(right[node], goesLeft ? new Set([...violated, f]) : violated);
  };
  walk(0, new Set());
  return best;
}

test('tree attack: flips every prediction, touches only decision-path features, minimal L0, in bounds', () => {
  const result = treeAttack(tree, inputs.images);
  const clean = tree.predict(inputs.images);
  const after = tree.predict(result.adversarial);
  assert.deepEqual(result.original, clean);
  let totalChanged = 0;
  for (let n = 0; n < N; n++) {
    assert.equal(result.success[n], true, `input ${n} not attacked`);
    assert.notEqual(after[n], clean[n], `input ${n}: prediction did not change`);
    const x = inputs.images.subarray(n * D, (n + 1) * D);
    const adv = result.adversarial.subarray(n * D, (n + 1) * D);
    const pathFeatures = new Set(tree.decisionPath(adv).map((node) => tree.tree.feature[node]));
    let changed = 0;
    let linf = 0;
    for (let f = 0; f < D; f++) {
      assert.ok(adv[f] >= 0 && adv[f] <= 1, 'out of bounds');
      if (adv[f] !== x[f]) {
        changed++;
        linf = Math.max(linf, Math.abs(adv[f] - x[f]));
        assert.ok(
          pathFeatures.has(f),
          `input ${n}: feature ${f} changed but not tested on the decision path`,
        );
      }
    }
    assert.equal(tree.leafOf(result.adversarial, n), result.targetLeaf[n]);
    assert.equal(result.changed[n], changed);
    assert.ok(Math.abs(result.linf[n] - linf) < 1e-6);
    assert.equal(changed, bruteForceL0(x, clean[n]), `input ${n}: not the fewest feature changes`);
    totalChanged += changed;
  }
  const meanLinf = result.linf.reduce((a, b) => a + b, 0) / N;
  console.log(
    `tree attack (${tree.leafCount} leaves): ${N}/${N} flipped, mean features changed ${(totalChanged / N).toFixed(2)}, mean linf ${meanLinf.toFixed(4)}`,
  );
});

test('tree attack: eps budget, metrics, failures left unchanged', () => {
  const byLinf = treeAttack(tree, inputs.images, { metric: 'linf' });
  const byL0 = treeAttack(tree, inputs.images, { metric: 'l0' });
  for (let n = 0; n < N; n++) {
    assert.ok(byLinf.linf[n] <= byL0.linf[n] + 1e-7, `input ${n}: linf metric not minimal in linf`);
    assert.ok(byL0.changed[n] <= byLinf.changed[n], `input ${n}: l0 metric not minimal in l0`);
  }
  for (const eps of [0.01, 0.05, 0.2]) {
    const r = treeAttack(tree, inputs.images, { eps });
    const again = tree.predict(r.adversarial);
    let successes = 0;
    for (let n = 0; n < N; n++) {
      const x = inputs.images.subarray(n * D, (n + 1) * D);
      const adv = r.adversarial.subarray(n * D, (n + 1) * D);
      let linf = 0;
      for (let f = 0; f < D; f++) linf = Math.max(linf, Math.abs(adv[f] - x[f]));
      assert.ok(linf <= eps, `input ${n}: linf ${linf} > eps ${eps}`);
      assert.equal(
        r.success[n],
        again[n] !== r.original[n],
        `input ${n}: success disagrees with re-running the tree`,
      );
      if (!r.success[n]) assert.equal(linf, 0, `input ${n}: failed attack changed the input`);
      // With a budget, a leaf is reachable exactly when the smallest-Linf leaf is.
      assert.equal(r.success[n], byLinf.linf[n] <= eps, `input ${n} at eps ${eps}`);
      if (r.success[n]) successes++;
    }
    console.log(`tree attack eps ${eps}: success ${successes}/${N}`);
  }
  const none = treeAttack(tree, inputs.images, { eps: 0 });
  assert.ok(none.success.every((s) => !s));
  assert.deepEqual(none.adversarial, inputs.images);
});

test('tree attack: clear errors', () => {
  const bad = Float32Array.from(inputs.images.subarray(0, D));
  bad[3] = 2;
  assert.throws(() => treeAttack(tree, bad), /input value 2 \(row 0\) is outside the bounds \[0, 1\]/);
  assert.throws(() => treeAttack(tree, new Float32Array(5)), /not whole rows of 784 features/);
  assert.throws(() => treeAttack(tree, inputs.images, { eps: -1 }), /eps must be >= 0/);
  assert.throws(() => treeAttack(tree, inputs.images, { metric: 'l3' as 'l0' }), /metric must be/);
});
