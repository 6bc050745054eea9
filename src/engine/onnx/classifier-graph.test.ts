/**
 * The canonical classifier graph: preprocessing and layout in the graph, the final softmax dropped, the
 * output order, any batch size, the input layout guess, and one clear error for what it cannot take.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifierGraph, inputLayout, inputSize } from './classifier-graph.js';
import { networkModel, values } from './gradient-testing.js';
import { GraphBuilder } from './graph-builder.js';
import { DataType, encodeModel, onnx, OPSET, valueInfo } from './proto.js';
import { createSession, runSession, type TensorData } from './session.js';

async function run(model: onnx.IModelProto, feeds: Record<string, TensorData>): Promise<Float32Array> {
  const session = await createSession(encodeModel(model));
  try {
    const out = await runSession(session, feeds);
    return out[session.outputNames[0]].data;
  } finally {
    await session.release();
  }
}

/** A model with the given graph inputs/outputs around nodes written by `build`. */
function rawModel(
  build: (b: GraphBuilder) => void,
  inputs: onnx.IValueInfoProto[],
  outputs: string[],
  opset = OPSET,
): onnx.ModelProto {
  const b = new GraphBuilder(['x', 'y'], 'net/');
  build(b);
  return onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'raw',
      node: b.nodes,
      initializer: b.initializers,
      input: inputs,
      output: outputs.map((o) => valueInfo(o, ['N', 4])),
    },
  });
}

test('inputLayout and inputSize read the input dims: channels of 1 or 3 at position 1 or 3', () => {
  const model = (dims: (number | string)[]) =>
    rawModel((b) => b.opInto('y', 'Identity', ['x']), [valueInfo('x', dims)], ['y']);
  assert.equal(inputLayout(model(['N', 3, 224, 224])), 'NCHW');
  assert.deepEqual(inputSize(model(['N', 3, 224, 224])), [224, 224, 3]);
  assert.equal(inputLayout(model([1, 28, 28, 1])), 'NHWC');
  assert.deepEqual(inputSize(model([1, 28, 28, 1])), [28, 28, 1]);
  assert.equal(inputLayout(model(['N', 3, 5, 3])), undefined);
  assert.equal(inputSize(model(['N', 3, 5, 3])), undefined);
  assert.equal(inputLayout(model(['N', 3, 'H', 'W'])), 'NCHW');
  assert.equal(inputSize(model(['N', 3, 'H', 'W'])), undefined);
});

test('preprocessing (flip, scale, mean, std) and the NCHW transpose are in the graph', async () => {
  const [h, w, c] = [2, 3, 3];
  const classifier = classifierGraph(
    networkModel((b, x) => b.op('Flatten', [x]), [c, h, w]),
    {
      layout: 'NCHW',
      preprocessing: { flipChannels: true, scale: 255, mean: [103.9, 116.8, 123.7], std: [57, 58, 59] },
    },
  );
  const pixels = values(h * w * c, 1, 0, 1);
  const logits = await run(classifier, { pixels: { data: pixels, dims: [1, h, w, c] } });
  const mean = [103.9, 116.8, 123.7];
  const std = [57, 58, 59];
  const expected: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < h * w; i++) expected.push((pixels[i * c + (c - 1 - ch)] * 255 - mean[ch]) / std[ch]);
  }
  logits.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `logit ${i}: ${v} vs ${expected[i]}`));
});

test('an NHWC network takes the pixels as they are', async () => {
  const classifier = classifierGraph(
    networkModel((b, x) => b.op('Flatten', [x]), [2, 2, 3]),
    { layout: 'NHWC' },
  );
  const pixels = values(12, 2);
  assert.deepEqual(await run(classifier, { pixels: { data: pixels, dims: [1, 2, 2, 3] } }), pixels);
});

test('a final Softmax or LogSoftmax (even followed by Reshape / Flatten / Identity / Transpose) is dropped', async () => {
  const weights = values(12 * 4, 3);
  const tails = [
    ['Softmax'],
    ['LogSoftmax', 'Identity'],
    ['Softmax', 'Reshape', 'Flatten'],
    // The tfjs exporter's NHWC tail: [N,K,1,1] -> Softmax(axis 1) -> Transpose to NHWC -> Reshape.
    ['Image', 'Softmax', 'Transpose', 'Reshape'],
  ];
  for (const tail of tails) {
    const build = (b: GraphBuilder, x: string, keep: boolean) => {
      let y = b.op('Gemm', [b.op('Flatten', [x]), b.floats(weights, [12, 4])]);
      let axis = -1;
      for (const op of tail) {
        if (op === 'Image') {
          y = b.op('Reshape', [y, b.intConstant([-1, 4, 1, 1])]);
          axis = 1;
        } else if (op === 'Reshape') y = b.op('Reshape', [y, b.intConstant([-1, 1, 4])]);
        else if (op === 'Transpose') y = b.op('Transpose', [y], { perm: [0, 2, 3, 1] });
        else if (op === 'Softmax' || op === 'LogSoftmax') y = keep ? y : b.op(op, [y], { axis });
        else y = b.op(op, [y]);
      }
      return y;
    };
    const classifier = classifierGraph(
      networkModel((b, x) => build(b, x, false), [3, 2, 2]),
      { layout: 'NCHW' },
    );
    assert.ok(!(classifier.graph?.node ?? []).some((n) => /Softmax/.test(n.opType ?? '')), tail.join(' -> '));
    const reference = classifierGraph(
      networkModel((b, x) => build(b, x, true), [3, 2, 2]),
      { layout: 'NCHW' },
    );
    const feeds = { pixels: { data: values(12, 4), dims: [1, 2, 2, 3] } };
    assert.deepEqual(await run(classifier, feeds), await run(reference, feeds));
    assert.deepEqual(
      classifier.graph?.output?.[0]?.type?.tensorType?.shape?.dim?.map((d) => d.dimValue ?? d.dimParam),
      ['N', 4],
    );
  }
});

test('outputOrder: canonical class j is network output outputOrder[j]', async () => {
  const network = networkModel((b, x) => b.op('Flatten', [x]), [4, 1, 1]);
  const classifier = classifierGraph(network, { layout: 'NCHW', outputOrder: [3, 0, 2, 1] });
  const out = await run(classifier, {
    pixels: { data: Float32Array.from([10, 11, 12, 13]), dims: [1, 1, 1, 4] },
  });
  assert.deepEqual(Array.from(out), [13, 10, 12, 11]);
  assert.throws(
    () => classifierGraph(network, { layout: 'NCHW', outputOrder: [0, 4] }),
    /^Error: outputOrder: class 4 is out of range for a network with 4 outputs$/,
  );
});

test('a network exported with a fixed batch of 1 (Reshape to [1, -1]) runs any batch size', async () => {
  const b = new GraphBuilder(['x', 'y'], 'net/');
  const weights = values(12 * 4, 5);
  b.opInto('y', 'Gemm', [b.op('Reshape', ['x', b.intConstant([1, -1])]), b.floats(weights, [12, 4])]);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: 'fixed',
      node: b.nodes,
      initializer: b.initializers,
      input: [valueInfo('x', [1, 3, 2, 2])],
      output: [valueInfo('y', [1, 4])],
    },
  });
  const classifier = classifierGraph(model, { layout: 'NCHW' });
  const pixels = values(3 * 12, 6);
  const batch = await run(classifier, { pixels: { data: pixels, dims: [3, 2, 2, 3] } });
  for (let n = 0; n < 3; n++) {
    const one = await run(classifier, {
      pixels: { data: pixels.subarray(n * 12, (n + 1) * 12), dims: [1, 2, 2, 3] },
    });
    assert.deepEqual(batch.subarray(n * 4, (n + 1) * 4), one);
  }
});

test("the network's own tensors named 'pixels' or 'logits' are renamed out of the way", async () => {
  const b = new GraphBuilder(['pixels', 'logits', 'out'], 'net/');
  b.opInto('logits', 'Flatten', ['pixels']);
  b.opInto('out', 'Mul', ['logits', b.scalar(2)]);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: 'names',
      node: b.nodes,
      initializer: b.initializers,
      input: [valueInfo('pixels', ['N', 1, 2, 2])],
      output: [valueInfo('out', ['N', 4])],
    },
  });
  const out = await run(classifierGraph(model, { layout: 'NCHW' }), {
    pixels: { data: Float32Array.from([1, 2, 3, 4]), dims: [1, 2, 2, 1] },
  });
  assert.deepEqual(Array.from(out), [2, 4, 6, 8]);
});

test('what classifierGraph cannot take is one clear error', () => {
  const identity = (b: GraphBuilder) => b.opInto('y', 'Flatten', ['x']);
  const image = valueInfo('x', ['N', 3, 4, 4]);
  const cases: [onnx.ModelProto, RegExp, object?][] = [
    [
      rawModel((b) => b.opInto('y', 'Add', ['x', 'z']), [image, valueInfo('z', ['N', 3, 4, 4])], ['y']),
      /^ONNX model has 2 inputs \(x, z\); advx needs a classifier with one image input$/,
    ],
    [
      rawModel((b) => (identity(b), b.opInto('y2', 'Identity', ['y'])), [image], ['y', 'y2']),
      /^ONNX model has 2 outputs \(y, y2\); advx needs one output \(the class scores\)$/,
    ],
    [
      rawModel(identity, [valueInfo('x', ['N', 48])], ['y']),
      /input 'x' has rank 2; advx needs an image batch/,
    ],
    [
      rawModel(identity, [valueInfo('x', ['N', 3, 4, 4], DataType.INT64)], ['y']),
      /input 'x' has element type 7; advx needs float32 pixels/,
    ],
    [
      rawModel(identity, [valueInfo('x', ['N', 3, 'H', 'W'])], ['y']),
      /has symbolic size \[\?,\?,3\] \(H,W,C\); give the input size/,
    ],
    [rawModel(identity, [image], ['y']), /inputSize \[5,5,3\] does not match/, { inputSize: [5, 5, 3] }],
    [
      rawModel(identity, [image], ['y']),
      /^preprocessing mean has 2 values for 3 input channels$/,
      { preprocessing: { mean: [1, 2] } },
    ],
  ];
  for (const [model, message, extra] of cases) {
    assert.throws(
      () => classifierGraph(model, { layout: 'NCHW', ...extra }),
      (error: Error) => {
        assert.match(error.message, message);
        return true;
      },
    );
  }
});

test('a network with symbolic height and width takes the given input size', async () => {
  const model = rawModel(
    (b) => b.opInto('y', 'GlobalAveragePool', ['x']),
    [valueInfo('x', ['N', 3, 'H', 'W'])],
    ['y'],
  );
  const classifier = classifierGraph(model, { layout: 'NCHW', inputSize: [2, 2, 3] });
  const out = await run(classifier, {
    pixels: { data: Float32Array.from({ length: 12 }, (_, i) => i), dims: [1, 2, 2, 3] },
  });
  assert.deepEqual(Array.from(out), [4.5, 5.5, 6.5]);
});
