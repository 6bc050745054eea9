import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { loadModel } from '../models/load.js';
import { imagenetClasses } from '../models/labels.js';
import type { Model } from '../models/model.js';
import { noiseImages, noisePoints, noiseSweep, summarizeNoiseSweep } from './noise-sweep.js';
import { NOISE_CSV_COLUMNS, noiseGridPng, noiseSweepCsv, pickForGrid } from './noise-sweep-writers.js';
import { PNG } from 'pngjs';

let mobilenet: Model;
let darknet: Model;

before(async () => {
  await initEngine();
  mobilenet = await loadModel('mobilenet-v1-0.75');
  darknet = await loadModel('darknet-tiny');
});

after(() => {
  mobilenet.dispose();
  darknet.dispose();
});

function stats(values: Float32Array) {
  let sum = 0;
  let sq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    sq += v * v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = sum / values.length;
  return { mean, std: Math.sqrt(sq / values.length - mean * mean), min, max };
}

test('noise images: N(mu, sigma) in pixel units, clipped to 0..255, mapped into the bounds, seeded', () => {
  const before = tf.memory().numTensors;
  const shape = [64, 64, 3] as const;
  const x = noiseImages(shape, [0, 1], { mu: 128, sigma: 20 }, [0, 1], 7);
  assert.deepEqual(x.shape, [2, 64, 64, 3]);
  const s = stats(x.dataSync() as Float32Array);
  assert.ok(Math.abs(s.mean * 255 - 128) < 0.5, `mean ${s.mean * 255} pixel units`);
  assert.ok(Math.abs(s.std * 255 - 20) < 0.5, `std ${s.std * 255} pixel units`);
  // same seed, point and sample: identical; another sample, seed or point: different
  const again = noiseImages(shape, [0, 1], { mu: 128, sigma: 20 }, [1], 7);
  assert.deepEqual(again.dataSync(), x.dataSync().slice(64 * 64 * 3));
  const first = x.dataSync().slice(0, 64 * 64 * 3);
  const otherSeed = noiseImages(shape, [0, 1], { mu: 128, sigma: 20 }, [0], 8);
  assert.notDeepEqual(otherSeed.dataSync(), first);
  assert.notDeepEqual(again.dataSync(), first);

  // heavy clipping: every value stays in the bounds, and many sit on them
  const clipped = noiseImages(shape, [0, 1], { mu: 240, sigma: 100 }, [0], 1);
  const c = stats(clipped.dataSync() as Float32Array);
  assert.ok(c.min >= 0 && c.max <= 1, `[${c.min}, ${c.max}]`);
  const atTop = (clipped.dataSync() as Float32Array).filter((v) => v === 1).length / clipped.size;
  assert.ok(atTop > 0.4, `clipped at 255: ${atTop}`);
  // other bounds: the same pixel values mapped linearly
  const wide = noiseImages(shape, [-1, 1], { mu: 240, sigma: 100 }, [0], 1);
  const w = wide.dataSync();
  const cl = clipped.dataSync();
  assert.ok(w.every((v, i) => Math.abs(v - (cl[i] * 2 - 1)) < 1e-5));
  tf.dispose([x, again, otherSeed, clipped, wide]);
  assert.equal(tf.memory().numTensors, before);
});

test('(mu, sigma) pairs: zip truncates like Python, grid takes every combination', () => {
  assert.deepEqual(noisePoints([50, 60, 70], [10, 12], 'zip'), [
    { mu: 50, sigma: 10 },
    { mu: 60, sigma: 12 },
  ]);
  assert.equal(noisePoints([50, 60, 70], [10, 12], 'grid').length, 6);
  assert.throws(() => noisePoints([], [1], 'zip'), /at least one mu/);
  assert.throws(() => noisePoints([1], [-1], 'zip'), /sigma must be/);
});

test('the sweep on MobileNet and Darknet: CSV columns and row counts match the options; summary and grid', async () => {
  const before = tf.memory().numTensors;
  const points = noisePoints([50, 125, 200], [10, 55, 100], 'zip');
  const result = await noiseSweep([mobilenet, darknet], {
    points,
    samples: 2,
    top: 5,
    seed: 3,
    batchSize: 4,
  });
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
  assert.equal(result.predictions.length, 2 * 3 * 2);
  const csv = noiseSweepCsv(result).trimEnd().split('\n');
  assert.equal(csv[0], 'id,class,prediction,sigma,mu,model,rank');
  assert.deepEqual(csv[0].split(','), [...NOISE_CSV_COLUMNS]);
  assert.equal(csv.length - 1, 2 * 3 * 2 * 5, 'models x points x samples x top rows');
  const wnids = new Set(imagenetClasses().map((c) => c.wnid));
  const rows = csv.slice(1).map((line) => line.split(','));
  for (const [i, row] of rows.entries()) {
    assert.ok(wnids.has(row[0]), `id ${row[0]} is a wnid`);
    const p = Number(row[2]);
    assert.ok(p >= 0 && p <= 1);
    assert.equal(Number(row[6]), (i % 5) + 1, 'rank 1..top per noise image');
    if (i % 5 > 0) assert.ok(p <= Number(rows[i - 1][2]) + 1e-9, 'best first');
  }
  assert.deepEqual([...new Set(rows.map((r) => r[5]))], ['mobilenet-v1-0.75', 'darknet-tiny']);
  assert.deepEqual([...new Set(rows.map((r) => `${r[4]}/${r[3]}`))], ['50/10', '125/55', '200/100']);
  // the same seed gives the same predictions
  const again = await noiseSweep([mobilenet], { points: points.slice(0, 1), samples: 1, top: 5, seed: 3 });
  assert.deepEqual(again.predictions[0].top, result.predictions[0].top);

  const summary = summarizeNoiseSweep(result);
  assert.equal(summary.length, 2);
  for (const s of summary) {
    assert.equal(s.images, 6);
    assert.ok(s.above90 <= s.above50 && s.above50 <= 1);
    assert.ok(s.meanTop1 > 0 && s.meanTop1 <= 1);
    assert.equal(s.frequent.reduce((a, f) => a + f.count, 0) <= 6, true);
  }

  const png = PNG.sync.read(await noiseGridPng(mobilenet, result, 4));
  assert.ok(png.width > 4 * 160 && png.height > 160, `${png.width}x${png.height}`);
  assert.equal(pickForGrid(result.predictions, 3).length, 3);
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
});
