/**
 * The gradient graph as a whole: every loss kind on a small CNN against central differences; which nodes
 * get differentiated; and the errors for what it cannot do.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifierGraph } from './classifier-graph.js';
import { gradientModel, gradientPath } from './gradient-model.js';
import { checkNetwork, networkModel, spacedValues, values } from './gradient-testing.js';
import type { GraphBuilder } from './graph-builder.js';
import { lossFeeds } from './loss-feeds.js';
import { decodeModel, encodeModel } from './proto.js';
import { createSession, runSession } from './session.js';
import { UnsupportedOpError } from './unsupported-op-error.js';
import type { LossKind } from '../../models/loss.js';

const CHW = [3, 8, 8] as const;

/**
 * ReLU and MaxPool come first, on inputs spaced 0.05 apart, so that no finite-difference step moves a
 * kink (deeper ReLUs or max pools would see near-ties among computed values, where central differences
 * are not the derivative; those ops have their own tests with controlled inputs). Then Conv + bias,
 * Sigmoid, a strided Conv with BatchNormalization folded in, Tanh, a 1x1 strided shortcut Conv, a
 * residual Add, GlobalAveragePool, Flatten and Gemm.
 */
function smallCnn(b: GraphBuilder, x: string): string {
  const w = (dims: number[], seed: number, scale = 0.5) =>
    b.floats(
      values(
        dims.reduce((p, d) => p * d, 1),
        seed,
        -scale,
        scale,
      ),
      dims,
    );
  const pooled = b.op('MaxPool', [b.op('Relu', [x])], { kernel_shape: [2, 2], strides: [2, 2] });
  const features = b.op('Sigmoid', [
    b.op('Conv', [pooled, w([8, 3, 3, 3], 1), w([8], 2, 0.1)], { pads: [1, 1, 1, 1] }),
  ]);
  const conv = b.op('Conv', [features, w([8, 8, 3, 3], 3)], { pads: [1, 1, 1, 1], strides: [2, 2] });
  const channel = (seed: number, lo: number, hi: number) => b.floats(values(8, seed, lo, hi), [8]);
  const normalized = b.op('BatchNormalization', [
    conv,
    channel(4, 0.5, 1.5),
    channel(5, -0.2, 0.2),
    channel(6, -0.2, 0.2),
    channel(7, 0.5, 2),
  ]);
  const shortcut = b.op('Conv', [features, w([8, 8, 1, 1], 8)], { strides: [2, 2] });
  const pooledAll = b.op('GlobalAveragePool', [b.op('Add', [b.op('Tanh', [normalized]), shortcut])]);
  return b.op('Gemm', [b.op('Flatten', [pooledAll]), w([10, 8], 9, 4), w([10], 10, 0.1)], { transB: 1 });
}

const kinds: [LossKind, boolean][] = [
  ['crossentropy', false],
  ['crossentropy', true],
  ['margin', false],
  ['margin', true],
  ['dlr', false],
  ['dlr-targeted', false],
  ['logits', false],
];

for (const [kind, targeted] of kinds) {
  test(`small CNN, loss '${kind}'${targeted ? ' (targeted)' : ''}: gradient matches central differences`, async (t) => {
    // Step 0.02 on inputs spaced 0.05 apart (see smallCnn). The error left is float32 rounding of the
    // loss, ~6e-8 |L| / 2h per pixel against gradients of ~1e-3..1e-2 (measured 2e-4..8e-4 relative,
    // halving as the step doubles); a wrong rule is off by 1e-1 or more. Threshold 2e-3.
    const result = await checkNetwork(smallCnn, CHW, {
      loss: kind,
      targeted,
      step: 0.02,
      x: spacedValues(3 * 64, 7, 0.05),
    });
    t.diagnostic(`relative error ${result.relativeError.toExponential(2)}`);
    assert.ok(result.relativeError <= 2e-3, `relative error ${result.relativeError}`);
  });
}

test('an op the builder does not know, on the path, is one clear error naming op and node', () => {
  const classifier = classifierGraph(
    networkModel((b, x) => b.op('Flatten', [b.nodeWithOutputs('Erf', [x], ['the_erf'])[0]]), [1, 2, 2]),
    { layout: 'NCHW' },
  );
  assert.throws(
    () => gradientModel(classifier, 'crossentropy'),
    (error: Error) =>
      error instanceof UnsupportedOpError &&
      error.message === "ONNX op 'Erf' (node 'the_erf') is not supported by advx's gradient builder",
  );
});

test('ops the builder does not know are fine off the path (constants, shape computations)', () => {
  const classifier = classifierGraph(
    networkModel(
      (b, x) => {
        const scale = b.op('Erf', [b.floats([0.5], [])]);
        return b.op('Flatten', [b.op('Mul', [x, scale])]);
      },
      [1, 2, 2],
    ),
    { layout: 'NCHW' },
  );
  assert.doesNotThrow(() => gradientModel(classifier, 'logits'));
});

test('only the nodes between pixels and logits are differentiated; weights get no gradient', () => {
  const classifier = classifierGraph(
    networkModel(
      (b, x) => {
        const weight = b.op('Add', [b.floats(values(6, 1), [2, 1, 1, 3]), b.floats([1], [])]);
        const conv = b.op('Conv', [x, weight], { kernel_shape: [1, 3] });
        return b.op('Flatten', [conv]);
      },
      [1, 2, 3],
    ),
    { layout: 'NCHW' },
  );
  const path = gradientPath(classifier.graph?.node ?? []);
  const ops = [...path.onPath].map((n) => n.opType).sort();
  // The kernel's Add (constants only) is not on the path.
  assert.deepEqual(ops, ['Conv', 'Flatten', 'Identity', 'Transpose']);
  assert.ok(
    ![...path.needed].some((name) => (classifier.graph?.initializer ?? []).some((t) => t.name === name)),
  );
});

test('logits that do not depend on the pixels give a zero gradient', async () => {
  // Only the batch size of x is used (through Shape, which carries no gradient).
  const classifier = classifierGraph(
    networkModel(
      (b, x) => {
        const batch = b.op('Slice', [b.op('Shape', [x]), b.intConstant([0]), b.intConstant([1])]);
        const shape = b.op('Concat', [batch, b.intConstant([4])], { axis: 0 });
        return b.op('Expand', [b.floats(values(4, 1), [1, 4]), shape]);
      },
      [1, 2, 2],
    ),
    { layout: 'NCHW' },
  );
  const session = await createSession(encodeModel(gradientModel(classifier, 'logits')));
  const out = await runSession(session, {
    pixels: { data: values(8, 2), dims: [2, 2, 2, 1] },
    ...lossFeeds({ kind: 'logits', weights: values(8, 3) }, 2, 4),
  });
  await session.release();
  assert.deepEqual(Array.from(out.gradient.data), new Array<number>(8).fill(0));
});

test('a graph that is not a canonical classifier is one clear error', () => {
  const raw = networkModel((b, x) => b.op('Flatten', [x]), [1, 2, 2]);
  assert.throws(() => gradientModel(raw, 'logits'), /needs input 'pixels' and output 'logits'/);
});

test('corrupt bytes, and a graph ONNX Runtime rejects, are one-line errors', async () => {
  assert.throws(
    () => decodeModel(new Uint8Array([1, 2, 3, 4, 5]), 'bad.onnx'),
    /^Error: bad\.onnx: not a valid ONNX file/,
  );
  const broken = networkModel((b, x) => b.op('Conv', [x, b.floats([1, 2], [2])]), [1, 2, 2]);
  await assert.rejects(createSession(encodeModel(broken), {}, 'broken.onnx'), (error: Error) => {
    assert.match(error.message, /^broken\.onnx: ONNX Runtime cannot load it \(/);
    assert.ok(!error.message.includes('\n'));
    return true;
  });
});
