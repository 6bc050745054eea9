/**
 * Add, Sub, Mul, Div, Sum and Neg gradients against central differences, with both operands depending on
 * the input and broadcast against each other ([N,C,H,W] with [N,C,1,1] and [N,1,1,W]), and with constant
 * operands of lower rank. Step 0.01 on smooth functions: threshold 1e-3 (truncation ~h^2 |f'''|/6 plus
 * float32 rounding ~1e-5).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkNetwork, values } from '../gradient-testing.js';
import type { GraphBuilder } from '../graph-builder.js';

const CHW = [3, 4, 5] as const;

/** [N,C,1,1] and [N,1,1,W] means of x: operands that vary with x and broadcast against it. */
function means(b: GraphBuilder, x: string) {
  return {
    perChannel: b.op('ReduceMean', [x], { axes: [2, 3], keepdims: 1 }),
    perColumn: b.op('ReduceMean', [x], { axes: [1, 2], keepdims: 1 }),
  };
}

const cases: [string, (b: GraphBuilder, x: string) => string][] = [
  ['Add [N,C,H,W] + [N,C,1,1]', (b, x) => b.op('Add', [x, means(b, x).perChannel])],
  ['Sub [N,1,1,W] - [N,C,H,W]', (b, x) => b.op('Sub', [means(b, x).perColumn, x])],
  ['Mul [N,C,H,W] * [N,1,1,W]', (b, x) => b.op('Mul', [x, means(b, x).perColumn])],
  [
    'Div [N,C,H,W] / (1 + [N,C,1,1]^2)',
    (b, x) => {
      const m = means(b, x).perChannel;
      return b.op('Div', [x, b.op('Add', [b.scalar(1), b.op('Mul', [m, m])])]);
    },
  ],
  [
    'Div constant / (2 + x^2)',
    (b, x) => b.op('Div', [b.floats(values(5, 9), [5]), b.op('Add', [b.op('Mul', [x, x]), b.scalar(2)])]),
  ],
  [
    'Add, Mul with constants of lower rank',
    (b, x) => b.op('Mul', [b.op('Add', [x, b.floats(values(3, 5), [3, 1, 1])]), b.floats(values(5, 6), [5])]),
  ],
  [
    'Sum of three with broadcasting',
    (b, x) => b.op('Sum', [x, means(b, x).perChannel, means(b, x).perColumn]),
  ],
  ['Neg', (b, x) => b.op('Neg', [b.op('Mul', [x, x])])],
];

for (const [name, build] of cases) {
  test(`${name}: gradient matches central differences`, async (t) => {
    const result = await checkNetwork((b, x) => b.op('Flatten', [build(b, x)]), CHW, { step: 0.01 });
    t.diagnostic(`relative error ${result.relativeError.toExponential(2)}`);
    assert.ok(result.relativeError <= 1e-3, `relative error ${result.relativeError}`);
  });
}
