import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tf, type Tensor4D } from './tf.js';
import { initEngine, useBackend } from './backend.js';
import { fastConv2d, fastConv2dTranspose } from './fast-conv-ops.js';

interface Case {
  x: [number, number, number, number];
  f: [number, number, number, number];
  strides: number;
  pad: 'same' | 'valid';
}

const cases: Case[] = [
  { x: [3, 8, 8, 2], f: [3, 3, 2, 4], strides: 1, pad: 'same' },
  { x: [2, 14, 14, 3], f: [4, 4, 3, 5], strides: 2, pad: 'same' },
  { x: [2, 9, 9, 3], f: [3, 3, 3, 2], strides: 2, pad: 'valid' },
  { x: [2, 10, 10, 2], f: [5, 5, 2, 3], strides: 2, pad: 'same' },
  { x: [2, 11, 11, 2], f: [3, 3, 2, 3], strides: 3, pad: 'valid' },
  { x: [2, 12, 12, 1], f: [4, 4, 1, 2], strides: 3, pad: 'same' },
];

function values(shape: number[], seed: number): number[] {
  let s = seed;
  return Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

type Grads = { value: number[]; dx: number[]; dw: number[] };

function run(op: (x: Tensor4D, w: Tensor4D) => Tensor4D, c: Case, transpose: boolean): Grads {
  return tf.tidy(() => {
    const yShape = tf.conv2d(tf.zeros(c.x) as Tensor4D, tf.zeros(c.f) as Tensor4D, c.strides, c.pad).shape;
    const inShape = transpose ? yShape : c.x;
    const x = tf.tensor(values(inShape, 1), inShape) as Tensor4D;
    const w = tf.tensor(values(c.f, 2), c.f) as Tensor4D;
    const weights = tf.tensor(values([...op(x, w).shape], 3), op(x, w).shape);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a as Tensor4D, b as Tensor4D), weights));
    const [dx, dw] = tf.grads(f)([x, w]);
    return {
      value: Array.from(op(x, w).dataSync()),
      dx: Array.from(dx.dataSync()),
      dw: Array.from(dw.dataSync()),
    };
  });
}

function assertClose(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  // Loops, not Math.max(...array): spreading a large array overflows the call stack.
  const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
  const worst = actual.reduce((m, a, i) => Math.max(m, Math.abs(a - expected[i])), 0);
  assert.ok(worst / scale < 1e-4, `${what}: max error ${worst} (scale ${scale})`);
}

test('fast conv2d and conv2dTranspose: values and both gradients match the cpu backend', async () => {
  await initEngine();
  for (const c of cases) {
    const label = `x ${c.x} f ${c.f} s${c.strides} ${c.pad}`;
    const fast = run((x, w) => fastConv2d(x, w, c.strides, c.pad), c, false);
    const fastT = run((x, w) => fastConv2dTranspose(x, w, c.x, c.strides, c.pad), c, true);
    await useBackend('cpu');
    const ref = run((x, w) => tf.conv2d(x, w, c.strides, c.pad), c, false);
    const refT = run((x, w) => tf.conv2dTranspose(x, w, c.x, c.strides, c.pad), c, true);
    await useBackend('wasm');
    for (const key of ['value', 'dx', 'dw'] as const) {
      assertClose(fast[key], ref[key], `conv ${label} ${key}`);
      assertClose(fastT[key], refT[key], `transpose ${label} ${key}`);
    }
  }
});
