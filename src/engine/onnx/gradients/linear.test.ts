/**
 * Gemm and MatMul gradients against central differences. Linear networks with loss 'logits' and step 1:
 * exact up to float32 rounding, threshold 1e-4. Products of two operands that depend on the input are
 * quadratic, so their central differences are exact too.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkNetwork, values } from '../gradient-testing.js';
import type { GraphBuilder } from '../graph-builder.js';
import { UnsupportedOpError } from '../unsupported-op-error.js';

const CHW = [2, 3, 4] as const;
const P = 24;
const flat = (b: GraphBuilder, x: string) => b.op('Flatten', [x]);

const cases: [string, (b: GraphBuilder, x: string) => string][] = [
  ['Gemm', (b, x) => b.op('Gemm', [flat(b, x), b.floats(values(P * 5, 2), [P, 5])])],
  [
    'Gemm transB, alpha, beta, bias [5]',
    (b, x) =>
      b.op(
        'Gemm',
        [flat(b, x), b.floats(values(P * 5, 2), [5, P]), b.floats(values(5, 3), [5])],
        {
          transB: 1,
          alpha: 0.5,
          beta: 2,
        },
        ['alpha', 'beta'],
      ),
  ],
  [
    'Gemm transA (the input stored transposed)',
    (b, x) => {
      const columns = b.op('Transpose', [flat(b, x)], { perm: [1, 0] });
      return b.op('Gemm', [columns, b.floats(values(P * 5, 2), [P, 5])], { transA: 1 });
    },
  ],
  [
    'Gemm transA and transB, with a bias [N,5] that depends on the input',
    (b, x) => {
      const columns = b.op('Transpose', [flat(b, x)], { perm: [1, 0] });
      const bias = b.op('MatMul', [flat(b, x), b.floats(values(P * 5, 4), [P, 5])]);
      return b.op('Gemm', [columns, b.floats(values(P * 5, 2), [5, P]), bias], { transA: 1, transB: 1 });
    },
  ],
  ['MatMul [N,P] x [P,5]', (b, x) => b.op('MatMul', [flat(b, x), b.floats(values(P * 5, 2), [P, 5])])],
  [
    'MatMul [N,C,H,W] x [2,W,3] (broadcast batch dims)',
    (b, x) => {
      const x5 = b.op('Unsqueeze', [x, b.intConstant([1])]);
      return b.op('MatMul', [x5, b.floats(values(2 * 4 * 3, 2), [2, 4, 3])]);
    },
  ],
  ['MatMul [N,C,H,W] x [W] (1-D second operand)', (b, x) => b.op('MatMul', [x, b.floats(values(4, 2), [4])])],
  [
    'MatMul of two operands that depend on the input',
    (b, x) => b.op('MatMul', [x, b.op('Transpose', [x], { perm: [0, 1, 3, 2] })]),
  ],
];

for (const [name, build] of cases) {
  test(`${name}: gradient matches central differences`, async (t) => {
    const result = await checkNetwork((b, x) => flat(b, build(b, x)), CHW, { step: 1 });
    t.diagnostic(`relative error ${result.relativeError.toExponential(2)}`);
    assert.ok(result.relativeError <= 1e-4, `relative error ${result.relativeError}`);
  });
}

test('Gemm whose second operand depends on the input is reported, not differentiated wrongly', async () => {
  await assert.rejects(
    checkNetwork((b, x) => {
      const row = flat(b, x);
      const column = b.op('Reshape', [row, b.intConstant([P, 1])]);
      return b.op('Gemm', [row, column]);
    }, CHW),
    (error: Error) => error instanceof UnsupportedOpError && /Gemm/.test(error.message),
  );
});
