import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { Rng } from '../engine/random.js';
import { gaussian, rademacher, uniform } from './random-probes.js';

before(() => initEngine());

function moments(values: Float32Array): { mean: number; variance: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, variance };
}

test('probe values: seeded, with the moments of their distribution', () => {
  const g = gaussian([100_001], new Rng(1));
  const values = g.dataSync() as Float32Array;
  const { mean, variance } = moments(values);
  assert.ok(
    Math.abs(mean) < 0.02 && Math.abs(variance - 1) < 0.02,
    `gaussian mean ${mean}, variance ${variance}`,
  );
  assert.deepEqual(gaussian([100_001], new Rng(1)).dataSync(), values, 'same seed, same values');
  const r = rademacher([2, 50_000], new Rng(2)).dataSync() as Float32Array;
  assert.ok(r.every((v) => v === 1 || v === -1));
  assert.ok(Math.abs(moments(r).mean) < 0.02);
  const u = uniform([3, 10_000], -2, 3, new Rng(3)).dataSync() as Float32Array;
  assert.ok(u.every((v) => v >= -2 && v < 3));
  assert.ok(Math.abs(moments(u).mean - 0.5) < 0.05);
  g.dispose();
});
