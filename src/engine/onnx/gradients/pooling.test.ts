/**
 * Pooling gradients against central differences. AveragePool, GlobalAveragePool and ReduceMean are linear
 * (step 1, threshold 1e-4); MaxPool gets inputs 0.05 apart and a step of 0.01, so no window's maximum
 * changes place and the differences are exact up to float32 rounding (threshold 1e-4).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkNetwork, networkModel, spacedValues } from '../gradient-testing.js';
import { classifierGraph } from '../classifier-graph.js';
import { gradientModel } from '../gradient-model.js';
import type { Attributes, GraphBuilder } from '../graph-builder.js';
import { lossFeeds } from '../loss-feeds.js';
import { encodeModel } from '../proto.js';
import { createSession, runSession } from '../session.js';

const CHW = [2, 7, 6] as const;
const PIXELS = 84;
const flatten = (b: GraphBuilder, y: string) => b.op('Flatten', [y]);

const maxPools: [string, Attributes][] = [
  ['2x2 stride 2', { kernel_shape: [2, 2], strides: [2, 2] }],
  ['3x3 stride 2 pad 1', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
  ['3x3 stride 2 ceil_mode', { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }],
  ['2x2 stride 1 dilation 2', { kernel_shape: [2, 2], dilations: [2, 2] }],
  ['3x3 stride 2 SAME_UPPER', { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }],
];

for (const [name, attributes] of maxPools) {
  test(`MaxPool ${name}: gradient matches central differences`, async (t) => {
    const result = await checkNetwork((b, x) => flatten(b, b.op('MaxPool', [x], attributes)), CHW, {
      x: spacedValues(PIXELS, 2, 0.05),
      step: 0.01,
    });
    t.diagnostic(`relative error ${result.relativeError.toExponential(2)}`);
    assert.ok(result.relativeError <= 1e-4, `relative error ${result.relativeError}`);
  });
}

const linearPools: [string, (b: GraphBuilder, x: string) => string][] = [
  ['AveragePool 2x2 stride 2', (b, x) => b.op('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] })],
  ...[0, 1].flatMap((count): [string, (b: GraphBuilder, x: string) => string][] => [
    [
      `AveragePool 3x3 stride 1 pad 1, count_include_pad ${count}`,
      (b, x) =>
        b.op('AveragePool', [x], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: count }),
    ],
    [
      `AveragePool 3x3 stride 2 pad 1 ceil_mode, count_include_pad ${count}`,
      (b, x) =>
        b.op('AveragePool', [x], {
          kernel_shape: [3, 3],
          strides: [2, 2],
          pads: [1, 1, 1, 1],
          ceil_mode: 1,
          count_include_pad: count,
        }),
    ],
    [
      `AveragePool 2x3 stride 2 SAME_LOWER, count_include_pad ${count}`,
      (b, x) =>
        b.op('AveragePool', [x], {
          kernel_shape: [2, 3],
          strides: [2, 2],
          auto_pad: 'SAME_LOWER',
          count_include_pad: count,
        }),
    ],
  ]),
  [
    'AveragePool 3x3 stride 2 asymmetric pads, count_include_pad 1',
    (b, x) =>
      b.op('AveragePool', [x], {
        kernel_shape: [3, 3],
        strides: [2, 2],
        pads: [0, 2, 2, 0],
        count_include_pad: 1,
      }),
  ],
  [
    "AveragePool 3x3 stride 2 ceil_mode after an 8-channel Conv (ORT's NCHWc pooling), count_include_pad 1",
    (b, x) => {
      const conv = b.op('Conv', [x, b.floats(spacedValues(8 * 2 * 9, 4, 0.01), [8, 2, 3, 3])], {
        pads: [1, 1, 1, 1],
      });
      return b.op('AveragePool', [conv], {
        kernel_shape: [3, 3],
        strides: [2, 2],
        pads: [1, 1, 1, 1],
        ceil_mode: 1,
        count_include_pad: 1,
      });
    },
  ],
  ['GlobalAveragePool', (b, x) => b.op('GlobalAveragePool', [x])],
  ['ReduceMean over H, W keeping dims', (b, x) => b.op('ReduceMean', [x], { axes: [2, 3], keepdims: 1 })],
  ['ReduceMean over C without keeping dims', (b, x) => b.op('ReduceMean', [x], { axes: [1], keepdims: 0 })],
  [
    'ReduceMean over C, H, W (negative axes)',
    (b, x) => b.op('ReduceMean', [x], { axes: [-3, -2, -1], keepdims: 0 }),
  ],
];

for (const [name, build] of linearPools) {
  test(`${name}: gradient matches central differences`, async (t) => {
    const result = await checkNetwork((b, x) => flatten(b, b.op('Mul', [build(b, x), b.scalar(2)])), CHW, {
      step: 1,
    });
    t.diagnostic(`relative error ${result.relativeError.toExponential(2)}`);
    assert.ok(result.relativeError <= 1e-4, `relative error ${result.relativeError}`);
  });
}

test('ReduceMean with axes as an input (opset 18) matches central differences', async (t) => {
  const result = await checkNetwork(
    (b, x) => flatten(b, b.op('ReduceMean', [x, b.intConstant([2])], { keepdims: 1 })),
    CHW,
    { step: 1, opset: 18 },
  );
  t.diagnostic(`relative error ${result.relativeError.toExponential(2)}`);
  assert.ok(result.relativeError <= 1e-4);
});

test('MaxPool ties: the whole gradient goes to the first maximum of each window (PyTorch, tfjs-cpu)', async () => {
  // One 4x4 channel, 2x2 windows with stride 2; every window holds its maximum twice.
  const x = Float32Array.from([1, 1, 0, 2, 0, 0, 2, 0, 3, 0, 5, 4, 3, 1, 5, 5]);
  const classifier = classifierGraph(
    networkModel(
      (b, input) => flatten(b, b.op('MaxPool', [input], { kernel_shape: [2, 2], strides: [2, 2] })),
      [1, 4, 4],
    ),
    { layout: 'NCHW' },
  );
  const session = await createSession(encodeModel(gradientModel(classifier, 'logits')));
  const weights = Float32Array.from([1, 2, 3, 4]);
  const out = await runSession(session, {
    pixels: { data: x, dims: [1, 4, 4, 1] },
    ...lossFeeds({ kind: 'logits', weights }, 1, 4),
  });
  await session.release();
  const expected = [1, 0, 0, 2, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0];
  assert.deepEqual(Array.from(out.gradient.data), expected);
});
