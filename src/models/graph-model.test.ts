/**
 * A TensorFlow.js graph model (the converter's format) loads through the same path as layers models:
 * a hand-written graph (Placeholder -> Reshape -> MatMul -> BiasAdd) with known weights.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tf } from '../engine/tf.js';
import { FGSM } from '../attacks/index.js';
import { loadModel } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'advx-graph-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const dims = (...sizes: number[]) => ({ dim: sizes.map((size) => ({ size: String(size) })) });
const floatConst = (name: string, ...shape: number[]) => ({
  name,
  op: 'Const',
  attr: {
    value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(...shape) } },
    dtype: { type: 'DT_FLOAT' },
  },
});

// W[i][k] = ((i * 7 + k * 3) % 11 - 5) / 10, b[k] = k / 10: 16 pixels -> 3 classes.
const W = Array.from({ length: 16 }, (_, i) =>
  Array.from({ length: 3 }, (_, k) => (((i * 7 + k * 3) % 11) - 5) / 10),
);
const b = [0, 0.1, 0.2];

function writeGraphModel(): void {
  const topology = {
    node: [
      {
        name: 'x',
        op: 'Placeholder',
        attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: dims(-1, 4, 4, 1) } },
      },
      {
        name: 'flat_shape',
        op: 'Const',
        attr: { value: { tensor: { dtype: 'DT_INT32', tensorShape: dims(2) } }, dtype: { type: 'DT_INT32' } },
      },
      floatConst('w', 16, 3),
      floatConst('b', 3),
      {
        name: 'flat',
        op: 'Reshape',
        input: ['x', 'flat_shape'],
        attr: { T: { type: 'DT_FLOAT' }, Tshape: { type: 'DT_INT32' } },
      },
      {
        name: 'matmul',
        op: 'MatMul',
        input: ['flat', 'w'],
        attr: { T: { type: 'DT_FLOAT' }, transpose_a: { b: false }, transpose_b: { b: false } },
      },
      {
        name: 'logits',
        op: 'BiasAdd',
        input: ['matmul', 'b'],
        attr: { T: { type: 'DT_FLOAT' }, data_format: { s: 'TkhXQw==' } },
      },
    ],
    library: {},
    versions: { producer: 1 },
  };
  const weights = [
    { name: 'flat_shape', shape: [2], dtype: 'int32' },
    { name: 'w', shape: [16, 3], dtype: 'float32' },
    { name: 'b', shape: [3], dtype: 'float32' },
  ];
  const data = Buffer.concat([
    Buffer.from(new Int32Array([-1, 16]).buffer),
    Buffer.from(new Float32Array(W.flat()).buffer),
    Buffer.from(new Float32Array(b).buffer),
  ]);
  writeFileSync(join(dir, 'weights.bin'), data);
  writeFileSync(
    join(dir, 'model.json'),
    JSON.stringify({
      format: 'graph-model',
      modelTopology: topology,
      weightsManifest: [{ paths: ['weights.bin'], weights }],
    }),
  );
}

test('a graph model loads, predicts the hand-computed logits and is attackable', async () => {
  writeGraphModel();
  const model = await loadModel(dir, { bounds: [0, 1], labels: ['a', 'b', 'c'] });
  assert.deepEqual(model.inputShape, [4, 4, 1]);
  assert.equal(model.numClasses, 3);
  const pixels = Array.from({ length: 32 }, (_, i) => ((i * 13) % 17) / 17);
  const x = tf.tensor4d(pixels, [2, 4, 4, 1]);
  const logits = (await model.logits(x)).arraySync() as number[][];
  for (let n = 0; n < 2; n++) {
    for (let k = 0; k < 3; k++) {
      const expected = b[k] + W.reduce((s, row, i) => s + row[k] * pixels[n * 16 + i], 0);
      assert.ok(Math.abs(logits[n][k] - expected) < 1e-5, `logit ${n},${k}: ${logits[n][k]} vs ${expected}`);
    }
  }
  const labels = logits.map((row) => row.indexOf(Math.max(...row)));
  const { raw, clipped, success } = await new FGSM().run(model, x, labels, { epsilons: 0.5 });
  assert.equal(success.length, 2);
  assert.ok(tf.max(tf.abs(tf.sub(clipped, x))).dataSync()[0] <= 0.5 + 1e-6);
  assert.ok(
    tf.max(tf.abs(tf.sub(clipped, x))).dataSync()[0] > 0,
    'the gradient through the graph model is zero',
  );
  tf.dispose([raw, clipped, x]);
});
