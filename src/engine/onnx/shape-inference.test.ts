/** Static shapes with a symbolic batch: the forms exporters write (Shape chains, Flatten, pools). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConstantTable } from './constants.js';
import { networkModel, values } from './gradient-testing.js';
import { inferShapes } from './shape-inference.js';

test('x.view(x.size(0), -1) resolves to [N, C*H*W]; convs and pools give their static sizes', () => {
  let names: Record<string, string> = {};
  const model = networkModel(
    (b, x) => {
      const conv = b.op('Conv', [x, b.floats(values(8 * 3 * 9, 1), [8, 3, 3, 3])], {
        strides: [2, 2],
        pads: [1, 1, 1, 1],
      });
      const pool = b.op('MaxPool', [conv], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 });
      const batch = b.op('Unsqueeze', [
        b.op('Gather', [b.op('Shape', [pool]), b.intConstant([0], [])], { axis: 0 }),
        b.intConstant([0]),
      ]);
      const flat = b.op('Reshape', [pool, b.op('Concat', [batch, b.intConstant([-1])], { axis: 0 })]);
      const mean = b.op('ReduceMean', [conv], { axes: [2, 3], keepdims: 0 });
      names = { conv, pool, flat, mean };
      return flat;
    },
    [3, 15, 15],
  );
  const graph = model.graph ?? {};
  const shapes = inferShapes(graph, new ConstantTable(graph));
  assert.deepEqual(shapes.get(names.conv), ['N', 8, 8, 8]);
  assert.deepEqual(shapes.get(names.pool), ['N', 8, 4, 4]);
  assert.deepEqual(shapes.get(names.flat), ['N', 128]);
  assert.deepEqual(shapes.get(names.mean), ['N', 8]);
});
