/**
 * On a linear model the loss gradient has a closed form, so FGSM's output can be computed by hand:
 * logits z = W^T vec(x) + b, dCE/dx = W (softmax(z) - onehot(y)), x' = clip(x + eps * sign(dCE/dx)).
 * Computed here in float64 JavaScript and compared with the attack.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf, type Tensor4D } from '../engine/tf.js';
import { initEngine } from '../engine/backend.js';
import { loadFashionMnist } from '../data/datasets.js';
import { TfjsModel } from '../models/tfjs-model.js';
import { FGSM, FGM, lossGradient } from './index.js';

const N = 8;
const D = 28 * 28;
const K = 10;
let model: TfjsModel;
let W: number[][];
let b: number[];
let x: Tensor4D;
let pixels: Float32Array;
let labels: number[];

before(async () => {
  await initEngine();
  const net = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({
        units: K,
        kernelInitializer: tf.initializers.randomNormal({ stddev: 0.05, seed: 7 }),
        biasInitializer: tf.initializers.randomNormal({ stddev: 0.1, seed: 8 }),
      }),
    ],
  });
  model = new TfjsModel(net, { name: 'linear' });
  const [kernel, bias] = net.getWeights();
  W = kernel.arraySync() as number[][];
  b = bias.arraySync() as number[];
  const data = loadFashionMnist('test', N);
  pixels = data.images;
  x = tf.tensor4d(pixels, [N, 28, 28, 1]);
  labels = Array.from(data.labels);
});

/** dCE/dx for input n in float64. */
function closedFormGradient(n: number): number[] {
  const z = b.map((bk, k) => bk + W.reduce((s, row, i) => s + row[k] * pixels[n * D + i], 0));
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const total = e.reduce((s, v) => s + v, 0);
  const residual = e.map((v, k) => v / total - (k === labels[n] ? 1 : 0));
  return W.map((row) => row.reduce((s, w, k) => s + w * residual[k], 0));
}

test('FGSM on a linear model equals the closed form', async () => {
  const eps = 0.1;
  const { clipped, raw } = await new FGSM().run(model, x, labels, { epsilons: eps });
  const got = clipped.dataSync();
  let compared = 0;
  for (let n = 0; n < N; n++) {
    const g = closedFormGradient(n);
    for (let i = 0; i < D; i++) {
      if (Math.abs(g[i]) < 1e-6) continue; // sign undecidable in float32
      const expected = Math.min(1, Math.max(0, pixels[n * D + i] + eps * Math.sign(g[i])));
      assert.ok(
        Math.abs(got[n * D + i] - expected) < 1e-6,
        `input ${n} pixel ${i}: ${got[n * D + i]} vs ${expected}`,
      );
      compared++;
    }
  }
  assert.ok(compared > 0.95 * N * D, `only ${compared} pixels had a decidable sign`);
  tf.dispose([clipped, raw]);
});

test('FGM (L2) on a linear model steps eps along the normalised closed-form gradient', async () => {
  const eps = 1.5;
  const { raw, clipped } = await new FGM().run(model, x, labels, { epsilons: eps });
  const got = raw.dataSync();
  for (let n = 0; n < N; n++) {
    const g = closedFormGradient(n);
    const norm = Math.sqrt(g.reduce((s, v) => s + v * v, 0));
    for (let i = 0; i < D; i += 7) {
      const expected = Math.min(1, Math.max(0, pixels[n * D + i] + (eps * g[i]) / norm));
      assert.ok(
        Math.abs(got[n * D + i] - expected) < 1e-4,
        `input ${n} pixel ${i}: ${got[n * D + i]} vs ${expected}`,
      );
    }
  }
  tf.dispose([raw, clipped]);
});

test('the loss gradient equals the closed form at batch sizes above 2 (the wasm mean-reduction bug)', async () => {
  const g = await lossGradient(model, x, { labels, targeted: false });
  const got = g.dataSync();
  for (let n = 0; n < N; n++) {
    const expected = closedFormGradient(n);
    for (let i = 0; i < D; i += 5)
      assert.ok(Math.abs(got[n * D + i] - expected[i]) < 1e-5, `input ${n} pixel ${i}`);
  }
  g.dispose();
});
