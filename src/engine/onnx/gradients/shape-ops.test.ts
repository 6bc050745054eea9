/**
 * Gradients of ops that move values (Flatten, Reshape, Squeeze, Unsqueeze, Transpose, Concat, Pad,
 * Gather with constant indices, Identity, Dropout, Cast, Constant, Shape) against central differences.
 * Each network is linear (loss 'logits', step 1): exact up to float32 rounding, threshold 1e-4.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkNetwork, values } from '../gradient-testing.js';
import type { GraphBuilder } from '../graph-builder.js';
import { DataType } from '../proto.js';

const CHW = [3, 4, 5] as const;
const flatten = (b: GraphBuilder, y: string) => b.op('Flatten', [y]);

const cases: [string, (b: GraphBuilder, x: string) => string][] = [
  ['Reshape to a constant target with -1', (b, x) => b.op('Reshape', [x, b.intConstant([-1, 12, 5])])],
  [
    'Reshape to a target built from Shape, Gather and Concat',
    (b, x) => {
      const batch = b.op('Gather', [b.op('Shape', [x]), b.intConstant([0])], { axis: 0 });
      return b.op('Reshape', [x, b.op('Concat', [batch, b.intConstant([-1])], { axis: 0 })]);
    },
  ],
  ['Transpose', (b, x) => b.op('Transpose', [x], { perm: [0, 2, 3, 1] })],
  [
    'Squeeze and Unsqueeze',
    (b, x) => b.op('Squeeze', [b.op('Unsqueeze', [x, b.intConstant([2])]), b.intConstant([2])]),
  ],
  [
    'Concat of three views along channels',
    (b, x) => b.op('Concat', [x, b.op('Mul', [x, b.scalar(2)]), b.op('Neg', [x])], { axis: 1 }),
  ],
  [
    'Concat whose part sizes are only known at run time',
    (b, x) => {
      const shape = b.op(
        'Concat',
        [b.intConstant([0]), b.op('Slice', [b.op('Shape', [x]), b.intConstant([1]), b.intConstant([4])])],
        {
          axis: 0,
        },
      );
      const unknown = b.op('Reshape', [x, b.op('Abs', [shape])]);
      const joined = b.op('Concat', [unknown, x], { axis: -1 });
      return b.op('Reshape', [joined, b.intConstant([-1, 3, 4, 10])]);
    },
  ],
  [
    'Pad (constant, positive and negative pads)',
    (b, x) => b.op('Pad', [x, b.intConstant([0, 1, -1, 2, 0, 0, 1, -2]), b.scalar(0.5)]),
  ],
  [
    'Gather channels in reverse (a permutation)',
    (b, x) => b.op('Gather', [x, b.intConstant([2, 1, 0])], { axis: 1 }),
  ],
  [
    'Gather with repeated and negative indices on the last axis',
    (b, x) => b.op('Gather', [x, b.intConstant([0, 4, -1, 2, 0])], { axis: 3 }),
  ],
  ['Gather of one row (scalar index)', (b, x) => b.op('Gather', [x, b.intConstant([1], [])], { axis: 2 })],
  ['Identity and Dropout', (b, x) => b.op('Dropout', [b.op('Identity', [x])])],
  ['Cast to float', (b, x) => b.op('Cast', [x], { to: DataType.FLOAT })],
  [
    'Constant node operand',
    (b, x) => {
      const [c] = b.nodeWithOutputs('Constant', [], 1, { value_float: 1.5 }, ['value_float']);
      return b.op('Mul', [x, c]);
    },
  ],
];

for (const [name, build] of cases) {
  test(`${name}: gradient matches central differences`, async (t) => {
    const result = await checkNetwork((b, x) => flatten(b, b.op('Mul', [build(b, x), b.scalar(3)])), CHW, {
      step: 1,
    });
    t.diagnostic(`relative error ${result.relativeError.toExponential(2)}`);
    assert.ok(result.relativeError <= 1e-4, `relative error ${result.relativeError}`);
  });
}

test('a Cast to an integer type stops the gradient (only the float path contributes)', async () => {
  const result = await checkNetwork(
    (b, x) => {
      const rounded = b.op('Cast', [b.op('Cast', [x], { to: DataType.INT32 })], { to: DataType.FLOAT });
      return flatten(b, b.op('Add', [rounded, b.op('Mul', [x, b.scalar(2)])]));
    },
    CHW,
    // Inputs between 0.1 and 0.9: no step crosses an integer, so the rounded path is flat there.
    { step: 1e-2, x: values(60, 4, 0.1, 0.9) },
  );
  assert.ok(result.relativeError <= 1e-4, `relative error ${result.relativeError}`);
});
