import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CIFAR10_CLASSES, loadCifar10, loadCifar10Batch } from './cifar.js';
import { sharedDataDir } from './locations.js';

const dir = join(sharedDataDir(), 'cifar10-convnetjs');
const batch = (k: number, limit?: number) =>
  loadCifar10Batch(join(dir, `cifar10_batch_${k}.png`), join(dir, `cifar10_batch_${k}.labels.u8`), limit);

test('batch 0: labels and first pixels match PROVENANCE.md (official CIFAR-10 data_batch_1)', () => {
  const ds = batch(0);
  assert.equal(ds.count, 1000);
  assert.deepEqual(ds.shape, [32, 32, 3]);
  assert.equal(ds.images.length, 1000 * 32 * 32 * 3);
  assert.deepEqual(Array.from(ds.labels.subarray(0, 10)), [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
  assert.equal(ds.classNames[ds.labels[0]], 'frog');
  const first = Array.from(ds.images.subarray(0, 9), (v) => Math.round(v * 255));
  assert.deepEqual(first, [59, 62, 63, 43, 46, 45, 50, 48, 43]);
  assert.ok(Math.abs(ds.images[0] - 59 / 255) < 1e-7);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of ds.images) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  assert.ok(lo >= 0 && hi <= 1 && hi - lo > 0.9, `values ${lo}..${hi}`);
  // The labels agree with labels.json, the other label file beside the batches.
  const json = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as Record<
    string,
    number[] | string[]
  >;
  assert.deepEqual(json.classes, CIFAR10_CLASSES);
  assert.deepEqual(Array.from(ds.labels), json['cifar10_batch_0.png']);
});

test('image layout is HWC: neighbouring pixels in x and y are alike, as in natural images', () => {
  const ds = batch(50, 100);
  const at = (n: number, y: number, x: number, c: number) => ds.images[n * 3072 + (y * 32 + x) * 3 + c];
  let dx = 0;
  let dy = 0;
  let far = 0;
  let count = 0;
  for (let n = 0; n < ds.count; n++) {
    for (let y = 0; y < 31; y++) {
      for (let x = 0; x < 31; x++) {
        for (let c = 0; c < 3; c++) {
          dx += Math.abs(at(n, y, x, c) - at(n, y, x + 1, c));
          dy += Math.abs(at(n, y, x, c) - at(n, y + 1, x, c));
          far += Math.abs(at(n, y, x, c) - at((n + 1) % ds.count, 31 - y, 31 - x, c));
          count++;
        }
      }
    }
  }
  dx /= count;
  dy /= count;
  far /= count;
  assert.ok(
    dx < far / 3 && dy < far / 3,
    `mean |dx| ${dx.toFixed(3)}, |dy| ${dy.toFixed(3)}, unrelated ${far.toFixed(3)}`,
  );
});

test('splits: test = batch 50 (labels 3,8,8,0,6,...), train = batches 0 and 1', () => {
  const testSet = loadCifar10('test', 10);
  assert.deepEqual(Array.from(testSet.labels), [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
  const train = loadCifar10('train', 1005);
  assert.equal(train.count, 1005);
  const b1 = batch(1, 5);
  assert.deepEqual(Array.from(train.labels.subarray(1000)), Array.from(b1.labels));
  assert.deepEqual(train.images.subarray(1000 * 3072), b1.images);
});

test('wrong files give clear errors', () => {
  assert.throws(
    () => loadCifar10Batch(join(dir, 'nope.png'), join(dir, 'cifar10_batch_0.labels.u8')),
    /nope\.png: no such file/,
  );
  assert.throws(
    () => loadCifar10Batch(join(dir, 'labels.json'), join(dir, 'cifar10_batch_0.labels.u8')),
    /labels\.json: not a CIFAR-10 batch PNG/,
  );
  assert.throws(
    () => loadCifar10Batch(join(dir, 'cifar10_batch_0.png'), join(dir, 'labels.json')),
    /labels\.json: \d+ labels for 1000 images/,
  );
});
