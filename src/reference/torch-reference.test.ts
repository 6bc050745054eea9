/**
 * The PyTorch reference (scripts/torch_reference.py through torchLogitsAndGradient):
 * - its forward pass agrees with ONNX Runtime, an independent implementation, on hand-built graphs that
 *   torch.onnx.export never writes (auto_pad, asymmetric pads, ceil_mode overhang, count_include_pad,
 *   opset-11 Softmax, negative Slice steps, reflect/edge Pad, ...);
 * - its gradients agree with PyTorch's own modules (scripts/torch_reference_test.py --quick, run here);
 * - every loss of src/models/loss.ts is wired through, and bad input is one clear line.
 * Needs Debian's python3-torch and python3-onnx.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { packageRoot } from '../data/locations.js';
import {
  encodeModel,
  floatTensor,
  int64Tensor,
  makeNode,
  onnx,
  valueInfo,
  DataType,
} from '../engine/onnx/proto.js';
import { maxRelativeError } from './relative-error.js';
import {
  torchAvailable,
  torchLogitsAndGradient,
  torchPython,
  torchReferenceBatch,
  torchReferenceVersions,
  type TorchReference,
  type TorchReferenceCall,
} from './torch-reference.js';

const work = mkdtempSync(join(tmpdir(), 'advx-torch-ref-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Deterministic values in [-1, 1). */
function values(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
const weight = (name: string, dims: number[], seed: number) =>
  floatTensor(name, dims, values(size(dims), seed));

/** A one-input graph whose nodes end in `logits` [N, K]. */
function graph(
  opset: number,
  inputDims: readonly (number | string)[],
  nodes: onnx.INodeProto[],
  initializer: onnx.ITensorProto[] = [],
): Uint8Array {
  return encodeModel({
    irVersion: 8,
    producerName: 'advx torch-reference test',
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'case',
      node: nodes,
      initializer,
      input: [valueInfo('x', inputDims)],
      output: [valueInfo('logits', ['N', 'K'])],
    },
  });
}

/** Flattens each of `names` to [N, -1] and concatenates them into `logits`. */
function flattenAll(names: string[]): onnx.INodeProto[] {
  return [
    ...names.map((name) => makeNode('Flatten', [name], [`${name}_flat`], { axis: 1 })),
    makeNode(
      'Concat',
      names.map((name) => `${name}_flat`),
      ['logits'],
      { axis: 1 },
    ),
  ];
}

async function ortLogits(model: Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model);
  try {
    const out = await session.run({ x: new ort.Tensor('float32', x, dims) });
    return out.logits.data as Float32Array;
  } finally {
    await session.release();
  }
}

interface Case {
  name: string;
  opset: number;
  dims: number[];
  nodes: onnx.INodeProto[];
  initializer?: onnx.ITensorProto[];
}

const cases: Case[] = [
  {
    name: 'Conv: auto_pad SAME_UPPER / SAME_LOWER / VALID, asymmetric pads, groups, dilations, strides',
    opset: 17,
    dims: [2, 4, 7, 8],
    initializer: [
      weight('w1', [6, 2, 3, 3], 1),
      weight('b1', [6], 2),
      weight('w2', [3, 4, 4, 4], 3),
      weight('w3', [2, 4, 3, 3], 4),
      weight('w4', [2, 4, 3, 3], 5),
    ],
    nodes: [
      makeNode('Conv', ['x', 'w1', 'b1'], ['c1'], { group: 2, strides: [2, 2], auto_pad: 'SAME_UPPER' }),
      makeNode('Conv', ['x', 'w2'], ['c2'], { strides: [2, 2], auto_pad: 'SAME_LOWER' }),
      makeNode('Conv', ['x', 'w3'], ['c3'], { pads: [0, 1, 2, 1], dilations: [2, 1], strides: [1, 2] }),
      makeNode('Conv', ['x', 'w4'], ['c4'], { auto_pad: 'VALID' }),
      ...flattenAll(['c1', 'c2', 'c3', 'c4']),
    ],
  },
  {
    name: 'MaxPool / AveragePool: ceil_mode overhang, asymmetric pads, dilations, auto_pad, count_include_pad',
    opset: 17,
    dims: [2, 3, 9, 10],
    nodes: [
      makeNode('MaxPool', ['x'], ['m1'], {
        kernel_shape: [3, 3],
        strides: [2, 2],
        pads: [1, 0, 0, 1],
        ceil_mode: 1,
      }),
      makeNode('MaxPool', ['x'], ['m2'], { kernel_shape: [2, 2], dilations: [2, 2] }),
      makeNode('MaxPool', ['x'], ['m3'], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }),
      makeNode('AveragePool', ['x'], ['a1'], {
        kernel_shape: [3, 3],
        strides: [2, 2],
        pads: [1, 1, 1, 1],
        ceil_mode: 1,
        count_include_pad: 1,
      }),
      makeNode('AveragePool', ['x'], ['a2'], {
        kernel_shape: [3, 3],
        strides: [2, 2],
        pads: [0, 1, 1, 0],
        ceil_mode: 1,
      }),
      makeNode('AveragePool', ['x'], ['a3'], {
        kernel_shape: [2, 3],
        strides: [2, 2],
        auto_pad: 'SAME_LOWER',
      }),
      makeNode('GlobalAveragePool', ['x'], ['g']),
      ...flattenAll(['m1', 'm2', 'm3', 'a1', 'a2', 'a3', 'g']),
    ],
  },
  {
    name: 'opset 11: Softmax / LogSoftmax coerce to 2-D at axis, Squeeze / Unsqueeze / ReduceMean axes attributes, Clip inputs',
    opset: 11,
    dims: [2, 3, 4, 5],
    initializer: [
      floatTensor('lo', [], new Float32Array([-0.2])),
      floatTensor('hi', [], new Float32Array([0.3])),
    ],
    nodes: [
      makeNode('Softmax', ['x'], ['s1'], { axis: 1 }),
      makeNode('LogSoftmax', ['x'], ['s2'], { axis: 2 }),
      makeNode('Unsqueeze', ['x'], ['u'], { axes: [0, 3] }),
      makeNode('Squeeze', ['u'], ['q'], { axes: [0, -3] }),
      makeNode('ReduceMean', ['q'], ['r'], { axes: [1, -1], keepdims: 0 }),
      makeNode('Clip', ['x', 'lo', 'hi'], ['c']),
      ...flattenAll(['s1', 's2', 'r', 'c']),
    ],
  },
  {
    name: 'opset 13 tensor ops: Slice steps, Pad modes, Gather, Shape, Cast, Gemm transposes, BatchNormalization',
    opset: 13,
    dims: [2, 3, 4, 5],
    initializer: [
      int64Tensor('starts', [2], [-1, 1]),
      int64Tensor('ends', [2], [-1_000_000, 1_000_000]),
      int64Tensor('axes', [2], [-1, 2]),
      int64Tensor('steps', [2], [-2, 2]),
      int64Tensor('reflect_pads', [8], [0, 0, 1, 2, 0, 0, 2, 1]),
      int64Tensor('crop_pads', [8], [0, 1, -1, 2, 0, 0, 1, -2]),
      floatTensor('half', [], new Float32Array([0.5])),
      int64Tensor('idx', [2], [-1, 0]),
      int64Tensor('one', [], [1]),
      int64Tensor('flat_shape', [2], [0, -1]),
      int64Tensor('ax0', [1], [1]),
      weight('scale', [3], 6),
      weight('bias', [3], 7),
      weight('mean', [3], 8),
      floatTensor('var', [3], new Float32Array([0.5, 1, 2])),
      weight('gemm_b', [7, 60], 9),
      weight('gemm_c', [7], 10),
      weight('mm', [5, 4], 11),
    ],
    nodes: [
      makeNode('Slice', ['x', 'starts', 'ends', 'axes', 'steps'], ['sl']),
      makeNode('Pad', ['x', 'reflect_pads'], ['pr'], { mode: 'reflect' }),
      makeNode('Pad', ['x', 'reflect_pads'], ['pe'], { mode: 'edge' }),
      makeNode('Pad', ['x', 'crop_pads', 'half'], ['pc'], { mode: 'constant' }),
      makeNode('Gather', ['x', 'idx'], ['ga'], { axis: 1 }),
      makeNode('Shape', ['x'], ['shape']),
      makeNode('Gather', ['shape', 'one'], ['channels']),
      makeNode('Cast', ['channels'], ['channels_f'], { to: DataType.FLOAT }),
      makeNode('Mul', ['x', 'channels_f'], ['scaled']),
      makeNode('Constant', [], ['k'], { value: floatTensor('k', [1], new Float32Array([0.25])) }),
      makeNode('LeakyRelu', ['scaled'], ['lr'], { alpha: 0.3 }, undefined, ['alpha']),
      makeNode('Sub', ['lr', 'k'], ['sub']),
      makeNode('Div', ['sub', 'channels_f'], ['div']),
      makeNode(
        'BatchNormalization',
        ['div', 'scale', 'bias', 'mean', 'var'],
        ['bn'],
        { epsilon: 0.001 },
        undefined,
        ['epsilon'],
      ),
      makeNode('Sigmoid', ['bn'], ['sig']),
      makeNode('Dropout', ['sig'], ['dr', 'mask']),
      makeNode('Identity', ['dr'], ['id']),
      makeNode('Transpose', ['id'], ['tr'], { perm: [0, 3, 1, 2] }),
      makeNode('Reshape', ['tr', 'flat_shape'], ['rs']),
      makeNode('Transpose', ['rs'], ['rs_t']),
      makeNode(
        'Gemm',
        ['rs_t', 'gemm_b', 'gemm_c'],
        ['gm'],
        { transA: 1, transB: 1, alpha: 0.5, beta: 2 },
        undefined,
        ['alpha', 'beta'],
      ),
      makeNode('Tanh', ['gm'], ['th']),
      makeNode('MatMul', ['x', 'mm'], ['mmul']),
      makeNode('Unsqueeze', ['mmul', 'ax0'], ['un']),
      makeNode('Squeeze', ['un', 'ax0'], ['sq']),
      makeNode('Clip', ['sq', 'half'], ['clip']),
      makeNode('Softmax', ['x'], ['sm'], { axis: 1 }),
      makeNode('ReduceMean', ['x'], ['rm'], { axes: [2], keepdims: 0 }),
      ...flattenAll(['sl', 'pr', 'pe', 'pc', 'ga', 'th', 'clip', 'sm', 'rm']),
    ],
  },
];

test('torchAvailable: Debian python3-torch and python3-onnx are there (the reference tests need them)', () => {
  const versions = torchReferenceVersions();
  assert.ok(
    versions !== null,
    `${torchPython()} cannot run scripts/torch_reference.py: apt-get install python3-torch python3-onnx`,
  );
  assert.match(versions.torch, /^\d+\.\d+/);
  assert.equal(torchAvailable(), true);
  assert.equal(torchAvailable(join(work, 'no-such-python')), false);
});

/** ONNX Runtime's logits and the reference's answer for each case, from one Python process. */
const answers = new Map<Case, { expected: Float32Array; torch: TorchReference | Error; x: Float32Array }>();
before(async () => {
  const models = cases.map((c) => graph(c.opset, c.dims, c.nodes, c.initializer));
  const inputs = cases.map((c) => values(size(c.dims), 42));
  const torch = await torchReferenceBatch(
    cases.map((c, i) => ({ model: models[i], x: inputs[i], shape: c.dims, loss: [0, 1] })),
  );
  for (let i = 0; i < cases.length; i++) {
    const expected = await ortLogits(models[i], inputs[i], cases[i].dims);
    answers.set(cases[i], { expected, torch: torch[i], x: inputs[i] });
  }
});

for (const c of cases) {
  test(`forward pass agrees with ONNX Runtime: ${c.name}`, () => {
    const { expected, torch, x } = answers.get(c) as {
      expected: Float32Array;
      torch: TorchReference;
      x: Float32Array;
    };
    assert.ok(!(torch instanceof Error), String(torch));
    const error = maxRelativeError(torch.logits, expected);
    console.log(
      `  ${c.name.split(':')[0]}: ${expected.length / 2} logits, max relative error ${error.toExponential(2)}`,
    );
    assert.equal(torch.logits.length, expected.length, 'logits count');
    assert.ok(error <= 1e-5, `max relative error ${error}`);
    assert.equal(torch.gradient.length, x.length);
    assert.ok(
      torch.gradient.some((g) => g !== 0),
      'the cross-entropy gradient is not all zeros',
    );
  });
}

test('gradients agree with PyTorch modules (scripts/torch_reference_test.py --quick)', () => {
  const r = spawnSync(torchPython(), [join(packageRoot, 'scripts', 'torch_reference_test.py'), '--quick'], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  const errors = (dtype: string) =>
    r.stderr
      .split('\n')
      .filter((line) => line.includes(`${dtype} `) && line.includes('max relative error'))
      .map((line) => Number(line.split('max relative error ')[1]));
  const worst = (dtype: string) => Math.max(...errors(dtype)).toExponential(2);
  console.log(
    `  ${r.stderr.trim().split('\n').pop()}: ${errors('float64').length + errors('float32').length} comparisons, ` +
      `worst max relative error ${worst('float64')} (float64), ${worst('float32')} (float32)`,
  );
  assert.equal(r.status, 0, r.stderr.split('\n').slice(-30).join('\n'));
});

const cnn = (() => {
  // x [N,1,6,6] -> Conv 3x3 (4) -> Relu -> Flatten -> Gemm (5 logits)
  const nodes = [
    makeNode('Conv', ['x', 'w', 'b'], ['c'], { pads: [1, 1, 1, 1] }),
    makeNode('Relu', ['c'], ['r']),
    makeNode('Flatten', ['r'], ['f']),
    makeNode('Gemm', ['f', 'fc', 'fcb'], ['logits'], { transB: 1 }),
  ];
  const initializer = [weight('w', [4, 1, 3, 3], 21), weight('b', [4], 22)];
  initializer.push(weight('fc', [5, 144], 23), weight('fcb', [5], 24));
  return graph(17, ['N', 1, 6, 6], nodes, initializer);
})();
const cnnShape = [3, 1, 6, 6];
const cnnX = values(size(cnnShape), 7).map((v) => (v + 1) / 2);

/** The answers of one batch, every one a success. */
async function answered(calls: TorchReferenceCall[]): Promise<TorchReference[]> {
  const out = await torchReferenceBatch(calls);
  return out.map((answer, i) => {
    if (answer instanceof Error) throw new Error(`call ${i}: ${answer.message}`);
    return answer;
  });
}

const call = (
  loss: TorchReferenceCall['loss'],
  extra: Partial<TorchReferenceCall> = {},
): TorchReferenceCall => ({
  model: cnn,
  x: cnnX,
  shape: cnnShape,
  loss,
  ...extra,
});

test('each loss of src/models/loss.ts: its per-input values follow from the logits, and its gradients differ', async () => {
  const labels = [0, 3, 4];
  const weights = values(15, 5);
  const [ce, margin, byWeights, dlr, dlrT] = await answered([
    call(labels, { logitWeights: weights }),
    call({ kind: 'margin', labels, targeted: true }),
    call({ kind: 'logits', weights }),
    call({ kind: 'dlr', labels }),
    call({ kind: 'dlr-targeted', labels, targets: [1, 1, 1] }),
  ]);
  const z = (n: number, k: number) => ce.logits[n * 5 + k];
  const classes = [0, 1, 2, 3, 4];
  for (let n = 0; n < 3; n++) {
    const row = classes.map((k) => z(n, k));
    const logSumExp = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
    assert.ok(Math.abs(ce.loss[n] - (logSumExp - row[labels[n]])) < 1e-5, `crossentropy of input ${n}`);
    const others = classes.filter((k) => k !== labels[n]).map((k) => z(n, k));
    assert.ok(
      Math.abs(margin.loss[n] - (z(n, labels[n]) - Math.max(...others))) < 1e-5,
      `margin of input ${n}`,
    );
    const sorted = [...row].sort((a, b) => b - a);
    const dlrValue = -(z(n, labels[n]) - Math.max(...others)) / (sorted[0] - sorted[2] + 1e-12);
    assert.ok(Math.abs(dlr.loss[n] - dlrValue) < 1e-5, `dlr of input ${n}`);
    const weighted = classes.reduce((s, k) => s + weights[n * 5 + k] * z(n, k), 0);
    assert.ok(Math.abs(byWeights.loss[n] - weighted) < 1e-5, `sum(w z) of input ${n}`);
  }
  assert.ok(byWeights.weightsGradient === undefined);
  assert.ok(ce.weightsGradient !== undefined);
  assert.ok(maxRelativeError(byWeights.gradient, ce.weightsGradient) < 1e-7, 'both routes to d sum(w z)/dx');
  const gradients = [ce.gradient, margin.gradient, byWeights.gradient, dlr.gradient, dlrT.gradient];
  for (let i = 0; i < gradients.length; i++) {
    for (let j = i + 1; j < gradients.length; j++) {
      assert.ok(maxRelativeError(gradients[i], gradients[j]) > 1e-3, `gradients ${i} and ${j} differ`);
    }
  }
});

test('the gradient matches central finite differences of the loss (float64)', async () => {
  const labels = [2, 0, 1];
  const pixels = [7, 40, 100];
  const h = 1e-3;
  const shifted = (i: number, by: number) => {
    const x = Float32Array.from(cnnX);
    x[i] += by;
    return call(labels, { x });
  };
  const [base, ...moved] = await answered([
    call(labels),
    ...pixels.flatMap((i) => [shifted(i, h), shifted(i, -h)]),
  ]);
  const total = (r: TorchReference) => r.loss.reduce((a, b) => a + b, 0);
  pixels.forEach((i, p) => {
    const step = Math.fround(cnnX[i] + h) - Math.fround(cnnX[i] - h);
    const numeric = (total(moved[2 * p]) - total(moved[2 * p + 1])) / step;
    assert.ok(
      Math.abs(numeric - base.gradient[i]) < 1e-4 * Math.max(1, Math.abs(numeric)),
      `pixel ${i}: ${numeric} vs ${base.gradient[i]}`,
    );
  });
});

test('float32 and float64 runs agree to float32 precision', async () => {
  const [f64, f32] = await answered([call([1, 2, 3]), call([1, 2, 3], { dtype: 'float32' })]);
  assert.ok(maxRelativeError(f32.logits, f64.logits) < 1e-5);
  assert.ok(maxRelativeError(f32.gradient, f64.gradient) < 1e-5);
  assert.ok(maxRelativeError(f32.gradient, f64.gradient) > 0, 'the float32 run is not the float64 one');
});

test('bad input is one clear line, call by call', async () => {
  const notOnnx = join(work, 'notes.onnx');
  writeFileSync(notOnnx, 'not a model');
  const sine = graph(17, ['N', 4], [makeNode('Sin', ['x'], ['logits'])]);
  const expectations: [TorchReferenceCall, RegExp][] = [
    [{ model: sine, x: values(8, 1), shape: [2, 4], loss: [0, 1] }, /unsupported op 'Sin' \(node 'logits'\)/],
    [call([0, 1, 2], { shape: [3, 6, 6, 1] }), /input 'x' is \[N,1,6,6\], got \[3, 6, 6, 1\]/],
    [call([0, 1]), /--labels: 2 labels for a batch of 3/],
    [call([0, 1, 9]), /--labels: class 9 is out of range for 5 classes/],
    [call([0, 1, 2], { shape: [3, 1, 6, 5] }), /x has 108 values, shape \[3,1,6,5\] needs 90/],
    [call([0, 1, 2], { model: notOnnx }), /notes\.onnx: not a valid ONNX file/],
    [call([0, 1, 2], { model: join(work, 'missing.onnx') }), /missing\.onnx: no such file/],
  ];
  const out = await torchReferenceBatch([...expectations.map(([c]) => c), call([0, 1, 2])]);
  expectations.forEach(([, pattern], i) => {
    const answer = out[i];
    assert.ok(answer instanceof Error, `call ${i} should fail`);
    assert.match(answer.message, pattern);
    assert.match(answer.message, /^torch_reference: /);
    assert.equal(answer.message.split('\n').length, 1, answer.message);
  });
  assert.ok(!(out[expectations.length] instanceof Error), 'a good call beside bad ones still answers');
  await assert.rejects(
    torchLogitsAndGradient(cnn, cnnX, cnnShape, [0, 1, 2], { python: join(work, 'no-python') }),
    /^Error: torch_reference: .*no-python not found \(apt-get install python3-torch python3-onnx\)$/,
  );
  await assert.rejects(
    torchLogitsAndGradient(cnn, cnnX, cnnShape, [0, 1]),
    /--labels: 2 labels for a batch of 3/,
  );
});
