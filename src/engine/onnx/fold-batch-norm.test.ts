/** Folding inference BatchNormalization into the Conv before it: same outputs, no BatchNormalization left. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foldBatchNorm } from './fold-batch-norm.js';
import { networkModel, values } from './gradient-testing.js';
import type { GraphBuilder } from './graph-builder.js';
import { encodeModel, type onnx } from './proto.js';
import { createSession, runSession } from './session.js';

function batchNorm(b: GraphBuilder, x: string, channels: number, seed: number): string {
  const param = (s: number, lo: number, hi: number) =>
    b.floats(values(channels, seed + s, lo, hi), [channels]);
  return b.op(
    'BatchNormalization',
    [x, param(1, 0.5, 1.5), param(2, -1, 1), param(3, -1, 1), param(4, 0.2, 2)],
    {
      epsilon: 1e-3,
    },
    ['epsilon'],
  );
}

async function forward(model: onnx.IModelProto): Promise<Float32Array> {
  const session = await createSession(encodeModel(model));
  const out = await runSession(session, { x: { data: values(2 * 3 * 5 * 5, 9), dims: [2, 3, 5, 5] } });
  await session.release();
  return out.y.data;
}

test('Conv -> BatchNormalization folds (with and without a conv bias); the result is unchanged', async () => {
  const model = networkModel(
    (b, x) => {
      const a = b.op('Conv', [x, b.floats(values(4 * 27, 1), [4, 3, 3, 3])], { pads: [1, 1, 1, 1] });
      const c = b.op('Conv', [
        b.op('Relu', [batchNorm(b, a, 4, 10)]),
        b.floats(values(16, 2), [4, 4, 1, 1]),
        b.floats(values(4, 3), [4]),
      ]);
      return b.op('Flatten', [batchNorm(b, c, 4, 20)]);
    },
    [3, 5, 5],
  );
  const folded = foldBatchNorm(model);
  const ops = (folded.graph?.node ?? []).map((n) => n.opType);
  assert.ok(!ops.includes('BatchNormalization'), ops.join(' '));
  const [expected, actual] = [await forward(model), await forward(folded)];
  const scale = Math.max(...expected.map(Math.abs));
  actual.forEach((v, i) =>
    assert.ok(Math.abs(v - expected[i]) <= 1e-5 * scale, `output ${i}: ${v} vs ${expected[i]}`),
  );
});

test('a Conv whose output is also used elsewhere keeps its BatchNormalization', () => {
  const model = networkModel(
    (b, x) => {
      const a = b.op('Conv', [x, b.floats(values(4 * 27, 1), [4, 3, 3, 3])], { pads: [1, 1, 1, 1] });
      return b.op('Flatten', [b.op('Add', [batchNorm(b, a, 4, 10), a])]);
    },
    [3, 5, 5],
  );
  const ops = (foldBatchNorm(model).graph?.node ?? []).map((n) => n.opType);
  assert.ok(ops.includes('BatchNormalization'));
});
