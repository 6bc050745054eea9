/**
 * BatchNormalization gradients: unfolded (after an Add, so not folded into a Conv) and folded into the
 * Conv before it, against central differences (linear networks, step 1, threshold 1e-4).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkNetwork, values } from '../gradient-testing.js';
import type { GraphBuilder } from '../graph-builder.js';

const CHW = [3, 5, 4] as const;

function batchNorm(b: GraphBuilder, x: string, channels: number): string {
  const param = (seed: number, lo: number, hi: number) =>
    b.floats(values(channels, seed, lo, hi), [channels]);
  return b.op(
    'BatchNormalization',
    [x, param(1, 0.5, 1.5), param(2, -1, 1), param(3, -1, 1), param(4, 0.2, 2)],
    {
      epsilon: 1e-3,
    },
    ['epsilon'],
  );
}

test('BatchNormalization not after a Conv: gradient matches central differences', async (t) => {
  const result = await checkNetwork(
    (b, x) => b.op('Flatten', [batchNorm(b, b.op('Add', [x, b.scalar(1)]), 3)]),
    CHW,
    { step: 1 },
  );
  t.diagnostic(`relative error ${result.relativeError.toExponential(2)}`);
  assert.ok(result.relativeError <= 1e-4);
});

test('BatchNormalization folded into the Conv before it: gradient matches central differences', async (t) => {
  const result = await checkNetwork(
    (b, x) => {
      const conv = b.op('Conv', [x, b.floats(values(4 * 3 * 9, 5), [4, 3, 3, 3])], { pads: [1, 1, 1, 1] });
      return b.op('Flatten', [batchNorm(b, conv, 4)]);
    },
    CHW,
    { step: 1 },
  );
  t.diagnostic(`relative error ${result.relativeError.toExponential(2)}`);
  assert.ok(result.relativeError <= 1e-4);
});
