import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PNG } from 'pngjs';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { loadModel } from '../models/load.js';
import { classIndex } from '../models/labels.js';
import type { Model } from '../models/model.js';
import { noisePgd } from './noise-pgd.js';
import { NOISE_PGD_CSV_COLUMNS, noisePgdCsv, noisePgdPanelPng } from './noise-pgd-writers.js';
import { noisePoints, noiseSweep } from './noise-sweep.js';

let model: Model;

before(async () => {
  await initEngine();
  model = await loadModel('mobilenet-v1-0.75');
});

after(() => model.dispose());

test('PGD on the sweep noise: untargeted and targeted, before/after, fraction confident, CSV and panel', async () => {
  const points = noisePoints([60, 180], [15, 90], 'zip');
  const target = classIndex(model.labels, 'goldfish');
  const eps = 8 / 255;
  const before = tf.memory().numTensors;
  const result = await noisePgd(model, { points, samples: 1, seed: 5, eps, steps: 8, target });
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
  assert.equal(result.rows.length, 4);
  assert.deepEqual(
    result.rows.map((r) => r.mode),
    ['untargeted', 'untargeted', 'targeted', 'targeted'],
  );

  // the images are the sweep's: same seed, same point -> same top-1 before PGD
  const sweep = await noiseSweep([model], { points, samples: 1, top: 1, seed: 5 });
  for (const [i, row] of result.rows.entries()) {
    const s = sweep.predictions[i % 2].top[0];
    assert.equal(row.before.index, s.index);
    assert.ok(Math.abs(row.before.p - s.p) < 1e-5);
    assert.ok(row.linf <= eps + 1e-6, `linf ${row.linf}`);
    if (row.mode === 'untargeted') assert.equal(row.success, row.after.index !== row.before.index);
    else {
      assert.equal(row.target?.name, 'goldfish');
      assert.equal(row.success, row.after.index === target);
    }
  }
  // PGD at 8/255 turns noise into a confident prediction; the summary counts exactly those
  const targeted = result.rows.filter((r) => r.mode === 'targeted');
  assert.ok(
    targeted.every((r) => r.success && r.after.p >= 0.9),
    JSON.stringify(targeted.map((r) => r.after)),
  );
  for (const mode of ['untargeted', 'targeted'] as const) {
    const rows = result.rows.filter((r) => r.mode === mode);
    assert.equal(result.confidentAfter[mode], rows.filter((r) => r.after.p >= 0.9).length / rows.length);
  }
  assert.ok((result.confidentAfter.untargeted ?? 0) >= 0.5);
  assert.ok(result.confidentBefore < 1);

  const csv = noisePgdCsv(result).trimEnd().split('\n');
  assert.deepEqual(csv[0].split(','), [...NOISE_PGD_CSV_COLUMNS]);
  assert.equal(csv.length - 1, 4);
  assert.match(csv[3], /^mobilenet-v1-0.75,60,15,0,targeted,goldfish,/);
  const panel = PNG.sync.read(noisePgdPanelPng(result));
  assert.ok(panel.width >= 3 * 160 && panel.height >= 4 * 160, `${panel.width}x${panel.height}`);

  await assert.rejects(noisePgd(model, { points, eps: 0 }), /eps must be in/);
  await assert.rejects(noisePgd(model, { points, eps, target: 1000 }), /out of range/);
});
