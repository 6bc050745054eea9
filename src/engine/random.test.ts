/** Seeds: integers in [0, 2^32) only, each its own stream; the same seed, the same stream. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAdvxError } from '../errors.js';
import { checkSeed, isSeed, MAX_SEED, Rng } from './random.js';

const draws = (seed: number, n = 8) => {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.next());
};

test('seeds of 2^32 and above, negative, fractional or not numbers are refused, never aliased', () => {
  for (const bad of [2 ** 32, 2 ** 32 + 1, 2 ** 53, -1, 1.5, NaN, Infinity, '3' as unknown as number]) {
    assert.equal(isSeed(bad), false, String(bad));
    assert.throws(
      () => new Rng(bad),
      (e) =>
        isAdvxError(e) &&
        e.code === 'bad-option' &&
        /^seed must be an integer in \[0, 4294967295\]/.test(e.message),
    );
  }
  assert.throws(
    () => checkSeed(-1, 'fgsm: seed'),
    (e) => isAdvxError(e) && e.message === 'fgsm: seed must be an integer in [0, 4294967295] (got -1)',
  );
  assert.equal(checkSeed(MAX_SEED), MAX_SEED);
});

test('distinct seeds give distinct streams, including 0 and the state seed 0 starts from', () => {
  const seeds = [0, 1, 2, 0x9e3779b9, MAX_SEED, MAX_SEED - 1, 2 ** 31];
  const firsts = seeds.map((s) => draws(s).join(','));
  assert.equal(new Set(firsts).size, seeds.length, 'two seeds share a stream');
  assert.deepEqual(draws(12345), draws(12345));
});

test('seed 0 keeps the stream it always had (seeded results unchanged)', () => {
  // mulberry32 from state 0x9e3779b9, computed independently of Rng
  let state = 0x9e3779b9;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  assert.deepEqual(draws(0, 4), [next(), next(), next(), next()]);
});
