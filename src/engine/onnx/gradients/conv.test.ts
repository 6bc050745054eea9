/**
 * Conv input gradients against central differences. The networks are linear (Conv -> Flatten, loss
 * 'logits'), so differences with a step of 1 are exact up to float32 rounding of the loss (~1e-7 of its
 * size): a relative error above 1e-4 is a wrong gradient, not noise.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkGradient, sampleLoss, testClassifier, values } from '../gradient-testing.js';
import type { Attributes } from '../graph-builder.js';
import { valueInfoDims } from '../proto.js';

interface ConvCase {
  name: string;
  /** Input [C, H, W]. */
  input: [number, number, number];
  /** Kernel [M, C/group, kh, kw]. */
  kernel: [number, number, number, number];
  attributes: Attributes;
  bias?: boolean;
}

// Input channels >= 8 take the flipped-Conv (stride 1) and pointwise (1x1 strided) forms; fewer channels
// (an image's 1 or 3) and strided kxk kernels take ConvTranspose.
const cases: ConvCase[] = [
  {
    name: '3x3 stride 1 pad 1 with bias',
    input: [8, 5, 5],
    kernel: [4, 8, 3, 3],
    attributes: { pads: [1, 1, 1, 1] },
    bias: true,
  },
  {
    name: '3x3 stride 1 valid, dilation 2',
    input: [8, 7, 6],
    kernel: [3, 8, 3, 3],
    attributes: { dilations: [2, 2] },
  },
  {
    name: '1x1 with pads wider than the kernel',
    input: [8, 4, 4],
    kernel: [3, 8, 1, 1],
    attributes: { pads: [1, 2, 0, 1] },
  },
  {
    name: 'grouped (2 groups)',
    input: [8, 5, 5],
    kernel: [6, 4, 3, 3],
    attributes: { group: 2, pads: [1, 1, 1, 1] },
  },
  {
    name: 'depthwise stride 1',
    input: [8, 5, 5],
    kernel: [8, 1, 3, 3],
    attributes: { group: 8, pads: [1, 1, 1, 1] },
  },
  {
    name: 'auto_pad SAME_UPPER stride 1, even kernel',
    input: [8, 5, 5],
    kernel: [3, 8, 2, 2],
    attributes: { auto_pad: 'SAME_UPPER' },
  },
  { name: '1x1 stride 2, odd size', input: [8, 7, 7], kernel: [8, 8, 1, 1], attributes: { strides: [2, 2] } },
  {
    name: '1x1 stride 2 with pads',
    input: [8, 6, 6],
    kernel: [3, 8, 1, 1],
    attributes: { strides: [2, 2], pads: [1, 0, 0, 1] },
  },
  {
    name: '3x3 stride 1, 1 input channel (ConvTranspose)',
    input: [1, 6, 6],
    kernel: [4, 1, 3, 3],
    attributes: { pads: [1, 1, 1, 1] },
  },
  {
    name: 'depthwise stride 2, even size',
    input: [3, 8, 8],
    kernel: [3, 1, 3, 3],
    attributes: { group: 3, strides: [2, 2], pads: [1, 1, 1, 1] },
  },
  {
    name: 'depthwise x2 multiplier stride 2, odd size',
    input: [2, 7, 7],
    kernel: [4, 1, 3, 3],
    attributes: { group: 2, strides: [2, 2], pads: [1, 1, 1, 1] },
  },
  {
    name: '3x3 stride 2 pad 1, even size',
    input: [8, 6, 6],
    kernel: [4, 8, 3, 3],
    attributes: { strides: [2, 2], pads: [1, 1, 1, 1] },
    bias: true,
  },
  {
    name: '3x3 stride 2 pad 1, odd size',
    input: [3, 7, 7],
    kernel: [4, 3, 3, 3],
    attributes: { strides: [2, 2], pads: [1, 1, 1, 1] },
  },
  {
    name: '7x7 stride 2 pad 3',
    input: [3, 9, 9],
    kernel: [4, 3, 7, 7],
    attributes: { strides: [2, 2], pads: [3, 3, 3, 3] },
  },
  {
    name: '4x4 stride 2 asymmetric pads',
    input: [2, 9, 8],
    kernel: [3, 2, 4, 4],
    attributes: { strides: [2, 2], pads: [0, 1, 2, 1] },
  },
  {
    name: 'auto_pad SAME_UPPER stride 2, odd size',
    input: [2, 7, 7],
    kernel: [3, 2, 3, 3],
    attributes: { strides: [2, 2], auto_pad: 'SAME_UPPER' },
  },
  {
    name: 'auto_pad SAME_LOWER stride 2, even size',
    input: [2, 8, 8],
    kernel: [3, 2, 4, 4],
    attributes: { strides: [2, 2], auto_pad: 'SAME_LOWER' },
  },
  {
    name: 'auto_pad VALID stride 2',
    input: [2, 8, 7],
    kernel: [3, 2, 3, 3],
    attributes: { strides: [2, 2], auto_pad: 'VALID' },
  },
  {
    name: '2x2 stride 3 (kernel smaller than stride)',
    input: [2, 8, 8],
    kernel: [3, 2, 2, 2],
    attributes: { strides: [3, 3] },
  },
  {
    name: 'strides 1x2',
    input: [2, 6, 7],
    kernel: [3, 2, 3, 3],
    attributes: { strides: [1, 2], pads: [1, 1, 1, 1] },
  },
  {
    name: 'stride 2 with dilation 2',
    input: [2, 9, 9],
    kernel: [3, 2, 3, 3],
    attributes: { strides: [2, 2], dilations: [2, 2], pads: [2, 2, 2, 2] },
  },
];

async function relativeError(c: ConvCase, computedKernel = false): Promise<number> {
  const classifier = testClassifier((b, x) => {
    let w = b.floats(
      values(
        c.kernel.reduce((p, d) => p * d, 1),
        2,
      ),
      c.kernel,
      'w',
    );
    if (computedKernel) w = b.op('Mul', [w, b.op('Abs', [b.floats([1], [], 'one')])]);
    const inputs = c.bias ? [x, w, b.floats(values(c.kernel[0], 3), [c.kernel[0]], 'bias')] : [x, w];
    return b.op('Flatten', [b.op('Conv', inputs, c.attributes)]);
  }, c.input);
  const classes = valueInfoDims(classifier.graph?.output?.[0] ?? {})[1];
  const [ch, h, w] = c.input;
  const result = await checkGradient(classifier, {
    x: values(ch * h * w, 4),
    size: [h, w, ch],
    classes,
    loss: sampleLoss('logits', 1, classes),
    step: 1,
  });
  return result.relativeError;
}

for (const c of cases) {
  test(`Conv ${c.name}: input gradient matches central differences`, async (t) => {
    const error = await relativeError(c);
    t.diagnostic(`relative error ${error.toExponential(2)}`);
    assert.ok(error <= 1e-4, `relative error ${error}`);
  });
}

test('a kernel computed at run time is differentiated through ConvTranspose', async () => {
  for (const c of [cases[0], cases[11], cases[15]]) {
    const error = await relativeError(c, true);
    assert.ok(error <= 1e-4, `${c.name}: relative error ${error}`);
  }
});
