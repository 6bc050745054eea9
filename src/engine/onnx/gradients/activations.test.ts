/**
 * Activation gradients against central differences (loss 'logits'). Piecewise-linear activations get
 * inputs kept 0.025 away from their kinks and a step of 0.01, so the differences are exact up to float32
 * rounding of the loss (~1e-5 relative at this step): threshold 1e-4. Smooth ones (sigmoid, tanh,
 * softmax) add the central-difference truncation error h^2/6 |f'''| ~ 2e-5: threshold 1e-3.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkNetwork, spacedValues } from '../gradient-testing.js';
import type { GraphBuilder } from '../graph-builder.js';

const CHW = [3, 4, 5] as const;
const PIXELS = 60;
const flatten = (b: GraphBuilder, y: string) => b.op('Flatten', [y]);

const piecewiseLinear: [string, (b: GraphBuilder, x: string) => string, number][] = [
  ['Relu', (b, x) => b.op('Relu', [x]), 0.05],
  [
    'Clip with min and max inputs',
    (b, x) => b.op('Clip', [x, b.floats([-0.5], []), b.floats([0.7], [])]),
    0.05,
  ],
  ['Clip with only a max', (b, x) => b.op('Clip', [x, '', b.floats([0.4], [])]), 0.05],
  ['Clip 0..6 (ReLU6)', (b, x) => b.op('Clip', [x, b.floats([0], []), b.floats([6], [])]), 0.25],
  ['LeakyRelu', (b, x) => b.op('LeakyRelu', [x], { alpha: 0.1 }, ['alpha']), 0.05],
];

for (const [name, activation, spacing] of piecewiseLinear) {
  test(`${name} gradient matches central differences`, async (t) => {
    // Spacing 0.05 (0.25 for ReLU6, to reach past 6): inputs at least 0.025 from every kink.
    const result = await checkNetwork((b, x) => flatten(b, activation(b, x)), CHW, {
      x: spacedValues(PIXELS, 3, spacing),
      step: 0.01,
    });
    t.diagnostic(`relative error ${result.relativeError.toExponential(2)}`);
    assert.ok(result.relativeError <= 1e-4, `relative error ${result.relativeError}`);
  });
}

/** A Mul after a (log-)softmax, so that classifierGraph does not drop it as the network's final one. */
const notFinal = (b: GraphBuilder, y: string) => b.op('Mul', [y, b.scalar(3)]);

const smooth: [string, (b: GraphBuilder, x: string) => string][] = [
  ['Sigmoid', (b, x) => b.op('Sigmoid', [x])],
  ['Tanh', (b, x) => b.op('Tanh', [x])],
  [
    'Softmax over channels',
    (b, x) => notFinal(b, b.op('Softmax', [b.op('Mul', [x, b.scalar(2)])], { axis: 1 })),
  ],
  ['Softmax over the last axis', (b, x) => notFinal(b, b.op('Softmax', [x], { axis: -1 }))],
  ['LogSoftmax over channels', (b, x) => notFinal(b, b.op('LogSoftmax', [x], { axis: 1 }))],
];

for (const [name, activation] of smooth) {
  test(`${name} gradient matches central differences`, async (t) => {
    const result = await checkNetwork((b, x) => flatten(b, activation(b, x)), CHW, { step: 0.01 });
    t.diagnostic(`relative error ${result.relativeError.toExponential(2)}`);
    assert.ok(result.relativeError <= 1e-3, `relative error ${result.relativeError}`);
  });
}

test('ReLU gives no gradient where the output is 0 (as PyTorch: strict x > 0)', async () => {
  const x = spacedValues(PIXELS, 5, 0.05).map((v, i) => (i % 3 === 0 ? 0 : v));
  const result = await checkNetwork((b, input) => flatten(b, b.op('Relu', [input])), CHW, { x, step: 0.01 });
  x.forEach((v, i) => {
    if (v <= 0) assert.equal(Math.abs(result.analytic[i]), 0, `pixel ${i} (x = ${v})`);
  });
});
