/**
 * SimBA's search directions: the DCT basis is orthonormal (so each accepted step adds exactly the step
 * length in L2), the strided order tries the lowest frequencies first and every direction once, and the
 * pixel basis is the standard basis in a random order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../engine/random.js';
import { SimbaDirections } from './simba-directions.js';

test('the DCT directions of a [4,3,2] image are orthonormal', () => {
  const directions = new SimbaDirections('dct', [4, 3, 2]);
  const vectors = Array.from({ length: directions.count }, (_, i) => directions.vector(i));
  for (let a = 0; a < vectors.length; a++)
    for (let b = 0; b < vectors.length; b++) {
      const dot = vectors[a].reduce((s, v, i) => s + v * vectors[b][i], 0);
      assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-5, `<q${a}, q${b}> = ${dot}`);
    }
  // the zero frequency of a channel is constant over that channel
  const dc = directions.vector(1);
  for (let p = 0; p < 12; p++) {
    assert.ok(Math.abs(dc[p * 2 + 1] - 1 / Math.sqrt(12)) < 1e-6);
    assert.equal(dc[p * 2], 0);
  }
});

test('the strided order: the lowest freqDims x freqDims block first, then bands of stride; each direction once', () => {
  const directions = new SimbaDirections('dct', [6, 5, 1]);
  const order = Array.from(directions.order(new Rng(1), 2, 2));
  assert.deepEqual(
    [...order].sort((a, b) => a - b),
    Array.from({ length: 30 }, (_, i) => i),
  );
  const level = (index: number) => Math.max(Math.floor(index / 5), index % 5);
  assert.ok(
    order.slice(0, 4).every((i) => level(i) < 2),
    `first block ${order.slice(0, 4)}`,
  );
  assert.ok(
    order.slice(4, 16).every((i) => level(i) >= 2 && level(i) < 4),
    `second band ${order.slice(4, 16)}`,
  );
  assert.deepEqual(Array.from(directions.order(new Rng(1), 2, 2)), order, 'seeded');
  assert.notDeepEqual(Array.from(directions.order(new Rng(2), 2, 2)), order);
});

test('the pixel basis: one pixel per direction, in a random order', () => {
  const directions = new SimbaDirections('pixel', [2, 2, 3]);
  const order = Array.from(directions.order(new Rng(1), 1, 1));
  assert.deepEqual(
    [...order].sort((a, b) => a - b),
    Array.from({ length: 12 }, (_, i) => i),
  );
  const v = directions.vector(7);
  assert.deepEqual(
    Array.from(v),
    Array.from({ length: 12 }, (_, i) => (i === 7 ? 1 : 0)),
  );
});
