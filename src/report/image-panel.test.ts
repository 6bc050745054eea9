import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor3D } from '../engine/tf.js';
import { loadCifar10Batch } from '../data/cifar.js';
import { loadFashionMnist } from '../data/datasets.js';
import { decodeImage, type DecodedImage } from '../data/image-decode.js';
import { sharedDataDir } from '../data/locations.js';
import { defaultPanelScale, imagePanel } from './image-panel.js';

const px = (img: DecodedImage, x: number, y: number) =>
  Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

test('Fashion-MNIST panel: layout, default scale 4, original | mid-grey-centred perturbation | adversarial', async () => {
  await initEngine();
  const before = tf.memory().numTensors;
  const ds = loadFashionMnist('test', 2);
  const rows = [0, 1].map((n) => {
    const original = tf.tensor3d(ds.images.subarray(n * 784, (n + 1) * 784), [28, 28, 1]);
    // A sign perturbation of size 0.1 as FGSM makes, then clipped into [0,1].
    const perturbation = tf.tidy(() => tf.mul(tf.sign(tf.sub(original, 0.5)), 0.1) as Tensor3D);
    const adversarial = tf.tidy(() => tf.clipByValue(tf.add(original, perturbation), 0, 1) as Tensor3D);
    return { original, perturbation, adversarial, caption: `image ${n}` };
  });
  assert.equal(defaultPanelScale(28, 28), 4);
  const panel = decodeImage(await imagePanel(rows, [0, 1]), 'panel.png');
  const gap = 4;
  const cell = 28 * 4;
  assert.equal(panel.width, 3 * cell + 4 * gap);
  assert.equal(panel.height, 2 * cell + 3 * gap);
  assert.deepEqual(px(panel, 0, 0), [255, 255, 255], 'white margin');
  assert.deepEqual(px(panel, gap + cell, gap + 5), [255, 255, 255], 'white gap between cells');
  for (let r = 0; r < 2; r++) {
    const top = gap + r * (cell + gap);
    for (const [y, x] of [
      [0, 0],
      [14, 14],
      [20, 9],
      [27, 27],
    ]) {
      const v = Math.round(ds.images[r * 784 + y * 28 + x] * 255);
      // Every output pixel of the 4x4 block is the source pixel (nearest neighbour).
      for (const [dy, dx] of [
        [0, 0],
        [3, 3],
        [1, 2],
      ]) {
        assert.deepEqual(
          px(panel, gap + x * 4 + dx, top + y * 4 + dy),
          [v, v, v],
          `original row ${r} (${y},${x})`,
        );
        const p = px(panel, 2 * gap + cell + x * 4 + dx, top + y * 4 + dy)[0];
        assert.ok(p === 0 || p === 255, 'a +-0.1 sign perturbation magnifies to black and white');
        const a = Math.round(
          Math.min(1, Math.max(0, ds.images[r * 784 + y * 28 + x] + (v / 255 > 0.5 ? 0.1 : -0.1))) * 255,
        );
        assert.ok(
          Math.abs(px(panel, 3 * gap + 2 * cell + x * 4 + dx, top + y * 4 + dy)[0] - a) <= 1,
          'adversarial',
        );
      }
    }
  }
  tf.dispose(rows.flatMap((r) => [r.original, r.perturbation, r.adversarial]));
  assert.equal(tf.memory().numTensors, before, 'no tensor leak');
});

test('RGB panel with an explicit scale; zero perturbation is mid-grey; shape mismatches are refused', async () => {
  await initEngine();
  const dir = join(sharedDataDir(), 'cifar10-convnetjs');
  const ds = loadCifar10Batch(join(dir, 'cifar10_batch_0.png'), join(dir, 'cifar10_batch_0.labels.u8'), 1);
  const original = tf.tensor3d(ds.images, [32, 32, 3]);
  const zero = tf.zerosLike(original);
  const panel = decodeImage(
    await imagePanel([{ original, perturbation: zero, adversarial: original }], [0, 1], { scale: 2 }),
    'rgb.png',
  );
  assert.equal(panel.width, 3 * 64 + 16);
  assert.equal(panel.height, 64 + 8);
  const frog = Array.from(ds.images.subarray(0, 3), (v) => Math.round(v * 255));
  assert.deepEqual(px(panel, 4, 4), frog);
  assert.deepEqual(px(panel, 4 + 64 + 4 + 10, 4 + 20), [128, 128, 128]);
  assert.deepEqual(px(panel, 4 + 2 * (64 + 4) + 1, 5), frog);
  const small = tf.zeros([16, 16, 3]) as Tensor3D;
  await assert.rejects(
    imagePanel([{ original, perturbation: small, adversarial: original }], [0, 1]),
    /row 0 perturbation has shape \[16,16,3\], expected \[32,32,3\]/,
  );
  await assert.rejects(imagePanel([], [0, 1]), /no rows/);
  await assert.rejects(
    imagePanel([{ original, perturbation: zero, adversarial: original }], [0, 1], { scale: 1.5 }),
    /scale must be a positive integer/,
  );
  tf.dispose([original, zero, small]);
});
