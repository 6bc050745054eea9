/**
 * Summing a broadcast gradient back to an operand's shape: the static decision and the run-time one
 * (Shape, Equal, NonZero, ReduceSum) when symbolic dims hide which axes were broadcast.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConstantTable } from '../constants.js';
import { GraphBuilder } from '../graph-builder.js';
import { encodeModel, onnx, OPSET, valueInfo } from '../proto.js';
import { createSession, runSession } from '../session.js';
import { ShapeTable, type Dim } from '../shape-inference.js';
import type { GradientContext } from './gradient-context.js';
import { reduceToShape, staticBroadcastAxes } from './reduce-to-shape.js';

test('staticBroadcastAxes: leading axes and size-1 axes, undefined when symbols hide it', () => {
  assert.deepEqual(staticBroadcastAxes([3, 1], [2, 3, 4]), [0, 2]);
  assert.deepEqual(staticBroadcastAxes(['N', 3, 1, 1], ['N', 3, 5, 5]), [2, 3]);
  assert.deepEqual(staticBroadcastAxes(['N', 3], ['N', 3]), []);
  assert.equal(staticBroadcastAxes([1, 3], ['N', 3]), undefined);
  assert.equal(staticBroadcastAxes(['?a', 3], ['N', 3]), undefined);
});

async function reduced(operandShape: Dim[], gradShape: Dim[]): Promise<number[]> {
  const builder = new GraphBuilder(['g', 'a', 'out']);
  const shapes = new ShapeTable();
  shapes.shapes.set('a', operandShape);
  const ctx: GradientContext = {
    builder,
    shapes,
    constants: new ConstantTable({}),
    opset: OPSET,
    runtimeShape: (name) => builder.op('Shape', [name]),
  };
  builder.opInto('out', 'Identity', [reduceToShape(ctx, 'g', 'a', gradShape)]);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: 'reduce',
      node: builder.nodes,
      initializer: builder.initializers,
      input: [valueInfo('g', ['?', '?', '?']), valueInfo('a', ['?', '?'])],
      output: [valueInfo('out', ['?', '?'])],
    },
  });
  const session = await createSession(encodeModel(model));
  const g = Float32Array.from({ length: 24 }, (_, i) => i);
  const out = await runSession(session, {
    g: { data: g, dims: [2, 3, 4] },
    a: { data: new Float32Array(3), dims: [3, 1] },
  });
  await session.release();
  assert.deepEqual(out.out.dims, [3, 1]);
  return Array.from(out.out.data);
}

test('a [2,3,4] gradient sums back to a [3,1] operand, statically and at run time', async () => {
  // sum over axis 0 and 2 of i (i = 12a + 4b + c): for b: sum_a sum_c (12a + 4b + c) = 8 * 4b + 48 + 12.
  const expected = [0, 1, 2].map((b) => 32 * b + 60);
  assert.deepEqual(await reduced([3, 1], [2, 3, 4]), expected);
  assert.deepEqual(await reduced(['?h', '?w'], ['?x', '?y', '?z']), expected);
});
