/**
 * Graphs of older opsets (attributes where opset 13 takes inputs, Softmax over a flattened tail) become
 * opset-17 graphs that compute the same thing and differentiate correctly.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifierGraph } from './classifier-graph.js';
import { checkGradient, sampleLoss, spacedValues } from './gradient-testing.js';
import { GraphBuilder } from './graph-builder.js';
import { defaultOpset, encodeModel, onnx, valueInfo } from './proto.js';
import { createSession, runSession } from './session.js';

/** x [N,2,3,3] -> Unsqueeze/Squeeze -> Clip -> Pad -> Softmax(axis 1, flattened) -> Dropout -> Flatten. */
function opset10Model(): onnx.ModelProto {
  const b = new GraphBuilder(['x', 'y'], 'net/');
  const expanded = b.op('Unsqueeze', ['x'], { axes: [2] });
  const squeezed = b.op('Squeeze', [expanded], { axes: [2] });
  const clipped = b.op('Clip', [squeezed], { min: -0.5, max: 0.5 }, ['min', 'max']);
  const padded = b.op('Pad', [clipped], { pads: [0, 0, 1, 0, 0, 0, 0, 1], value: 0.25 }, ['value']);
  const soft = b.op('Softmax', [padded], { axis: 1 });
  const scaled = b.op('Mul', [soft, b.floats([10], [])]);
  const dropped = b.op('Dropout', [scaled], { ratio: 0.3 }, ['ratio']);
  b.opInto('y', 'Flatten', [dropped]);
  return onnx.ModelProto.create({
    irVersion: 5,
    opsetImport: [{ domain: '', version: 10 }],
    graph: {
      name: 'opset10',
      node: b.nodes,
      initializer: b.initializers,
      input: [valueInfo('x', ['N', 2, 3, 3])],
      output: [valueInfo('y', ['N', 32])],
    },
  });
}

const x = spacedValues(18, 3, 0.1);

test('an opset-10 graph keeps its meaning at opset 17', async () => {
  const original = opset10Model();
  const classifier = classifierGraph(original, { layout: 'NCHW' });
  assert.equal(defaultOpset(classifier), 17);
  const nchw = new Float32Array(18);
  for (let c = 0; c < 2; c++) for (let i = 0; i < 9; i++) nchw[c * 9 + i] = x[i * 2 + c];
  const run = async (model: onnx.IModelProto, feeds: Parameters<typeof runSession>[1]) => {
    const session = await createSession(encodeModel(model));
    const out = await runSession(session, feeds);
    await session.release();
    return Array.from(Object.values(out)[0].data);
  };
  const expected = await run(original, { x: { data: nchw, dims: [1, 2, 3, 3] } });
  const actual = await run(classifier, { pixels: { data: x, dims: [1, 3, 3, 2] } });
  actual.forEach((v, i) =>
    assert.ok(Math.abs(v - expected[i]) < 1e-6, `output ${i}: ${v} vs ${expected[i]}`),
  );
});

test('the upgraded opset-10 graph differentiates correctly (central differences)', async (t) => {
  // Inputs 0.05 away from the Clip bounds, step 0.01; smooth softmax: threshold 1e-3.
  const result = await checkGradient(classifierGraph(opset10Model(), { layout: 'NCHW' }), {
    x,
    size: [3, 3, 2],
    classes: 32,
    loss: sampleLoss('logits', 1, 32),
    step: 0.01,
  });
  t.diagnostic(`relative error ${result.relativeError.toExponential(2)}`);
  assert.ok(result.relativeError <= 1e-3, `relative error ${result.relativeError}`);
});

test('a graph older than opset 7 is one clear error', () => {
  const old = opset10Model();
  old.opsetImport = [onnx.OperatorSetIdProto.create({ domain: '', version: 6 })];
  assert.throws(
    () => classifierGraph(old, { layout: 'NCHW' }),
    /^Error: ONNX opset 6 is too old for advx \(7 or later; re-export the model\)$/,
  );
});
