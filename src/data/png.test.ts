import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { loadCifar10Batch } from './cifar.js';
import { decodeImage } from './image-decode.js';
import { sharedDataDir } from './locations.js';
import { encodePng, magnifyPerturbation, perturbationToPng, tensorToPng, writePngFile } from './png.js';

const cifarDir = join(sharedDataDir(), 'cifar10-convnetjs');
const frog = () =>
  loadCifar10Batch(join(cifarDir, 'cifar10_batch_0.png'), join(cifarDir, 'cifar10_batch_0.labels.u8'), 1)
    .images;

test('PNG round trip: encode -> decode gives the same pixels (RGB, [0,1] and [-1,1] bounds)', () => {
  const pixels = frog();
  const decoded = decodeImage(encodePng(pixels, 32, 32, 3, [0, 1]), 'frog.png');
  assert.equal(decoded.width, 32);
  assert.equal(decoded.height, 32);
  assert.deepEqual(
    Array.from(decoded.data),
    Array.from(pixels, (v) => Math.round(v * 255)),
  );
  const shifted = Float32Array.from(pixels, (v) => v * 2 - 1);
  assert.deepEqual(decodeImage(encodePng(shifted, 32, 32, 3, [-1, 1]), 'frog2.png').data, decoded.data);
});

test('gray PNG round trip and clipping of out-of-bounds values', () => {
  const values = [-0.5, 0, 0.25, 0.5, 1, 7, 1 / 255, 254 / 255];
  const decoded = decodeImage(encodePng(values, 2, 4, 1, [0, 1]), 'gray.png');
  const red = Array.from({ length: 8 }, (_, i) => decoded.data[3 * i]);
  assert.deepEqual(red, [0, 0, 64, 128, 255, 255, 1, 254]);
  for (let i = 0; i < 8; i++)
    assert.ok(
      decoded.data[3 * i] === decoded.data[3 * i + 1] && decoded.data[3 * i + 1] === decoded.data[3 * i + 2],
    );
});

test('encodePng rejects bad input clearly', () => {
  assert.throws(() => encodePng([0, 1, 2], 2, 2, 1, [0, 1]), /3 values do not fill 2x2x1/);
  assert.throws(() => encodePng([0, NaN, 0, 0], 2, 2, 1, [0, 1]), /pixel value 1 is NaN/);
  assert.throws(() => encodePng([0, 0, 0, 0], 2, 2, 1, [1, 0]), /bounds must be two finite numbers lo < hi/);
  assert.throws(() => encodePng([0, 0, 0, 0], 2, 2, 2 as 1, [0, 1]), /channels must be 1 or 3/);
});

test('tensorToPng writes a [H,W,C] tensor; other ranks are refused', async () => {
  await initEngine();
  const before = tf.memory().numTensors;
  const pixels = frog();
  const t = tf.tensor3d(pixels, [32, 32, 3]);
  const decoded = decodeImage(await tensorToPng(t, [0, 1]), 't.png');
  assert.deepEqual(
    Array.from(decoded.data),
    Array.from(pixels, (v) => Math.round(v * 255)),
  );
  const t4 = tf.zeros([1, 32, 32, 3]);
  await assert.rejects(
    tensorToPng(t4 as never, [0, 1]),
    /expected an image \[height, width, channels\], got shape \[1,32,32,3\]/,
  );
  tf.dispose([t, t4]);
  assert.equal(tf.memory().numTensors, before);
});

test('perturbation PNG: zero is plain mid-grey without NaN; max |delta| reaches the bounds', async () => {
  await initEngine();
  const zeros = tf.zeros([28, 28, 1]) as never;
  const { png, magnification } = await perturbationToPng(zeros, [0, 1]);
  assert.equal(magnification, 1);
  const grey = decodeImage(png, 'zero.png');
  assert.ok(
    grey.data.every((v) => v === 128),
    'all mid-grey',
  );
  tf.dispose(zeros);

  // A real-looking perturbation: sign pattern of a CIFAR image times 8/255, in bounds [-1,1].
  const pixels = frog();
  const delta = Float32Array.from(pixels, (v, i) => (v > 0.4 ? 1 : -1) * (8 / 255) * (i % 2 === 0 ? 1 : 0.5));
  const m = magnifyPerturbation(delta, [-1, 1]);
  assert.ok(Math.abs(m.magnification / (255 / 8) - 1) < 1e-6, `magnification ${m.magnification}`);
  assert.ok(Math.min(...m.pixels) >= -1 - 1e-6 && Math.max(...m.pixels) <= 1 + 1e-6);
  const t = tf.tensor3d(delta, [32, 32, 3]);
  const out = await perturbationToPng(t, [-1, 1]);
  tf.dispose(t);
  const img = decodeImage(out.png, 'delta.png');
  const values = new Set(img.data);
  assert.deepEqual(
    [...values].sort((a, b) => a - b),
    [0, 64, 191, 255],
  );
  assert.throws(() => magnifyPerturbation([0, NaN], [0, 1]), /value 1 is NaN/);
});

test('writePngFile refuses to overwrite unless asked, and creates folders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'advx-png-'));
  try {
    const file = join(dir, 'sub', 'dir', 'a.png');
    const first = encodePng([0, 1, 0, 1], 2, 2, 1, [0, 1]);
    const second = encodePng([1, 0, 1, 0], 2, 2, 1, [0, 1]);
    writePngFile(file, first);
    assert.deepEqual(readFileSync(file), first);
    assert.throws(() => writePngFile(file, second), {
      message: `${file}: file exists; refusing to overwrite it (pass overwrite: true)`,
    });
    assert.deepEqual(readFileSync(file), first, 'left untouched');
    writePngFile(file, second, { overwrite: true });
    assert.deepEqual(readFileSync(file), second);
    assert.throws(() => writePngFile(join(dir, 'b.png'), Buffer.from('hello')), /not a PNG/);
    assert.equal(existsSync(join(dir, 'b.png')), false);
    writeFileSync(join(dir, 'blocker'), 'x');
    assert.throws(() => writePngFile(join(dir, 'blocker', 'c.png'), first), /cannot create its folder/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
