/**
 * Every layer converter, checked end to end: small tfjs models with random weights (every layer class
 * and option the exporter supports, odd and even sizes, asymmetric 'same' pads, shared layers, branch
 * merges in both layouts) are exported and run on ONNX Runtime; outputs must match tfjs' predict.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { initEngine } from '../backend.js';
import { tf } from '../tf.js';
import { embeddedModelsDir } from '../../data/locations.js';
import { loadNetwork } from '../../models/model-files.js';
import { tfjsLayersToOnnx } from './export-tfjs.js';
import { supportedLayerClasses } from './export-tfjs-layers.js';
import { maxRelativeError, runOnnxModel } from './export-tfjs-testing.js';

const L = tf.layers;
const TOLERANCE = 1e-4;

before(async () => {
  await initEngine();
});

/** Sets every weight to seeded uniform values (moving variances positive), so no layer is trivial. */
function randomizeWeights(net: tf.LayersModel, seed: number): void {
  const values = net.weights.map((w, i) => {
    const variance = w.originalName.includes('moving_variance');
    return tf.randomUniform(
      w.shape as number[],
      variance ? 0.5 : -0.5,
      variance ? 1.5 : 0.5,
      'float32',
      seed + i,
    );
  });
  net.setWeights(values);
  tf.dispose(values);
}

/** Exports `net`, runs it on ORT and on tfjs for `batch` random inputs; returns the relative error. */
async function exportedError(net: tf.LayersModel, batch = 3, seed = 7): Promise<number> {
  const shape = [batch, ...(net.inputs[0].shape.slice(1) as number[])] as number[];
  const x = tf.randomUniform(shape, 0, 1, 'float32', seed);
  const expected = net.predict(x) as tf.Tensor;
  const before = tf.memory().numTensors;
  const proto = tfjsLayersToOnnx(net);
  assert.equal(tf.memory().numTensors, before, 'export leaks no tensors');
  const actual = await runOnnxModel(proto, x.dataSync() as Float32Array, shape);
  assert.deepEqual(actual.dims, expected.shape, 'output shape');
  const error = maxRelativeError(actual.data, expected.dataSync());
  tf.dispose([x, expected]);
  return error;
}

async function checkModel(name: string, net: tf.LayersModel): Promise<void> {
  randomizeWeights(net, 11);
  const error = await exportedError(net);
  console.log(`${name}: max relative error ${error.toExponential(2)}`);
  assert.ok(error <= TOLERANCE, `${name}: max relative error ${error} > ${TOLERANCE}`);
}

async function checkAndDispose(name: string, net: tf.LayersModel): Promise<void> {
  await checkModel(name, net);
  net.dispose();
}

test('convolutions: strides, dilation, asymmetric same pads, depthwise and separable', async () => {
  const net = tf.sequential({
    layers: [
      L.conv2d({
        inputShape: [17, 16, 3],
        filters: 5,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'relu6',
      }),
      L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', useBias: true }),
      L.separableConv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'elu' }),
      L.conv2d({ filters: 4, kernelSize: 2, dilationRate: 2, useBias: false }),
      L.conv2d({ filters: 4, kernelSize: 4, strides: 3, padding: 'same', activation: 'relu' }),
      L.flatten(),
      L.dense({ units: 3 }),
    ],
  });
  await checkAndDispose('convolutions', net);
});

test('activations: each one on its own branch', async () => {
  const input = L.input({ shape: [6] });
  const names = [
    'relu',
    'relu6',
    'sigmoid',
    'tanh',
    'elu',
    'selu',
    'softplus',
    'softsign',
    'hardSigmoid',
    'swish',
    'mish',
    'softmax',
    'logSoftmax',
    'linear',
  ];
  const branches = names.map(
    (activation) => L.dense({ units: 4, activation: activation as 'relu' }).apply(input) as tf.SymbolicTensor,
  );
  const output = L.dense({ units: 3 }).apply(L.concatenate().apply(branches)) as tf.SymbolicTensor;
  const net = tf.model({ inputs: input, outputs: output });
  randomizeWeights(net, 5);
  // Inputs in [0,1] with weights in [-0.5,0.5] keep pre-activations small: scale them up to reach
  // the bends (relu6's cap, hard sigmoid's clip) too.
  const x = tf.randomUniform([8, 6], -20, 20, 'float32', 3);
  const expected = net.predict(x) as tf.Tensor;
  const actual = await runOnnxModel(tfjsLayersToOnnx(net), x.dataSync() as Float32Array, [8, 6]);
  const error = maxRelativeError(actual.data, expected.dataSync());
  console.log(`activations: max relative error ${error.toExponential(2)}`);
  assert.ok(error <= TOLERANCE, `max relative error ${error}`);
  tf.dispose([x, expected]);
  net.dispose();
});

test('pooling and padding: same/valid max and average pools, global pools in both layouts', async () => {
  const input = L.input({ shape: [9, 11, 2] });
  let b1 = L.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same' }).apply(input) as tf.SymbolicTensor;
  b1 = L.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }).apply(b1) as tf.SymbolicTensor;
  b1 = L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(b1) as tf.SymbolicTensor;
  b1 = L.maxPooling2d({ poolSize: 2, padding: 'valid' }).apply(b1) as tf.SymbolicTensor;
  const g1 = L.globalAveragePooling2d({}).apply(b1) as tf.SymbolicTensor; // NCHW input
  const g2 = L.globalMaxPooling2d({}).apply(input) as tf.SymbolicTensor; // NHWC input
  const g3 = L.globalAveragePooling2d({}).apply(input) as tf.SymbolicTensor;
  let b4 = L.zeroPadding2d({
    padding: [
      [1, 2],
      [0, 3],
    ],
  }).apply(input) as tf.SymbolicTensor; // NHWC Pad
  b4 = L.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'valid' }).apply(b4) as tf.SymbolicTensor;
  b4 = L.zeroPadding2d({ padding: 1 }).apply(b4) as tf.SymbolicTensor; // NCHW Pad
  b4 = L.averagePooling2d({ poolSize: 2, padding: 'valid' }).apply(b4) as tf.SymbolicTensor;
  b4 = L.flatten().apply(b4) as tf.SymbolicTensor;
  const merged = L.concatenate().apply([g1, g2, g3, b4]) as tf.SymbolicTensor;
  const output = L.dense({ units: 3 }).apply(merged) as tf.SymbolicTensor;
  await checkAndDispose('pooling', tf.model({ inputs: input, outputs: output }));
});

test('functional: BN, shortcuts, a shared layer, every merge layer, concat on channels and rows', async () => {
  const input = L.input({ shape: [8, 8, 3] });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
    layer.apply(x) as tf.SymbolicTensor;
  let x = apply(L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }), input);
  x = apply(L.reLU(), apply(L.batchNormalization({ epsilon: 1e-3 }), x));
  let y = apply(L.conv2d({ filters: 4, kernelSize: 1 }), input);
  y = apply(L.batchNormalization({ center: false, scale: false, epsilon: 0.01 }), y);
  const s = apply(L.reLU({ maxValue: 6 }), apply(L.add(), [x, y]));
  const shared = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' });
  const a = apply(shared, s);
  const b = apply(shared, apply(L.leakyReLU({ alpha: 0.2 }), s));
  const merges = [
    apply(L.multiply(), [a, b]),
    apply(L.average(), [a, b, s]),
    apply(L.maximum(), [a, b]),
    apply(L.minimum(), [a, b]),
  ];
  const channels = apply(L.concatenate({ axis: -1 }), merges);
  const rows = apply(L.flatten(), apply(L.concatenate({ axis: 1 }), [merges[0], merges[1]]));
  const pooled = apply(L.globalAveragePooling2d({}), channels);
  const output = apply(L.dense({ units: 5 }), apply(L.concatenate(), [pooled, rows]));
  const net = tf.model({ inputs: input, outputs: output });
  await checkModel('functional', net);
  const proto = tfjsLayersToOnnx(net);
  const nodes = proto.graph?.node ?? [];
  const sharedConvs = nodes.filter((n) => n.opType === 'Conv' && n.input?.[1]?.startsWith(shared.name));
  assert.equal(sharedConvs.length, 2, 'the shared layer is called twice');
  assert.equal(new Set(sharedConvs.map((n) => n.input?.[1])).size, 1, 'with one kernel initializer');
  const transposes = nodes.filter((n) => n.opType === 'Transpose').length;
  assert.equal(transposes, 2, 'input to NCHW, and the row concat back to NHWC for its Flatten');
  net.dispose();
});

test('layouts: reshape into convs, Dense on 4-D values, softmax over channels, identity layers', async () => {
  const net = tf.sequential({
    layers: [
      L.reshape({ inputShape: [4, 6, 3], targetShape: [6, 4, 3] }),
      L.conv2d({ filters: 2, kernelSize: 1 }),
      L.activation({ activation: 'softmax' }), // on an NCHW value: over the channels
      L.dense({ units: 5 }), // on a 4-D value: MatMul over the last axis
      L.rescaling({ scale: 0.5, offset: 0.1 }),
      L.dropout({ rate: 0.5 }),
      L.gaussianNoise({ stddev: 0.1 }),
      L.gaussianDropout({ rate: 0.1 }),
      L.alphaDropout({ rate: 0.1 }),
      L.flatten(),
      L.dense({ units: 12 }),
      L.batchNormalization({}),
      L.activation({ activation: 'relu' }),
      L.reshape({ targetShape: [2, 2, 3] }),
      L.conv2d({ filters: 3, kernelSize: 2, padding: 'same' }),
      L.softmax({ axis: -1 }),
      L.elu(),
      L.flatten(),
      L.dense({ units: 4, activation: 'linear' }),
      L.activation({ activation: 'logSoftmax' as 'softmax' }), // tfjs has it; its typings do not list it
    ],
  });
  await checkAndDispose('layouts', net);
});

test('transposed convolutions: same/valid, kernel smaller and larger than the stride', async () => {
  const net = tf.sequential({
    layers: [
      L.conv2dTranspose({ inputShape: [3, 2, 2], filters: 3, kernelSize: 3, strides: 2, padding: 'valid' }),
      L.conv2dTranspose({ filters: 2, kernelSize: 1, strides: 2, padding: 'same' }),
      L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' }), // pads [0, 1]
      L.conv2dTranspose({ filters: 2, kernelSize: 4, strides: 2, padding: 'same', useBias: false }),
      L.conv2dTranspose({ filters: 1, kernelSize: 2, strides: 3, padding: 'valid', activation: 'relu' }),
    ],
  });
  await checkAndDispose('transposed convolutions', net);
});

test('the embedded GAN generator (Dense, BN on [N,C], ReLU, Reshape, Conv2DTranspose) with its own weights', async () => {
  const { net } = await loadNetwork(join(embeddedModelsDir(), 'fashion-mnist-gan'));
  const error = await exportedError(net as tf.LayersModel, 4);
  console.log(`fashion-mnist-gan: max relative error ${error.toExponential(2)}`);
  assert.ok(error <= TOLERANCE, `max relative error ${error}`);
  net.dispose();
});

test('an unsupported layer or option is one error naming the layer class and name', () => {
  const conv1d = tf.sequential({
    layers: [L.conv1d({ inputShape: [10, 3], filters: 2, kernelSize: 3, name: 'c1' })],
  });
  assert.throws(
    () => tfjsLayersToOnnx(conv1d),
    /^Error: cannot export to ONNX: layer 'c1' \(Conv1D\) is not supported$/,
  );
  const gelu = tf.sequential({
    layers: [L.dense({ inputShape: [3], units: 2, activation: 'gelu', name: 'g' })],
  });
  assert.throws(() => tfjsLayersToOnnx(gelu), /layer 'g' \(Dense\): activation 'gelu' is not supported/);
  const first = tf.sequential({
    layers: [
      L.conv2d({ inputShape: [3, 5, 5], filters: 2, kernelSize: 3, dataFormat: 'channelsFirst', name: 'cf' }),
    ],
  });
  assert.throws(
    () => tfjsLayersToOnnx(first),
    /layer 'cf' \(Conv2D\): data format 'channelsFirst' is not supported/,
  );
  for (const net of [conv1d, gelu, first]) net.dispose();
  assert.ok(supportedLayerClasses().includes('DepthwiseConv2D'));
});

test('a final softmax is exported as its own Softmax node, after the logits', async () => {
  const net = tf.sequential({ layers: [L.dense({ inputShape: [4], units: 3, activation: 'softmax' })] });
  randomizeWeights(net, 2);
  const nodes = tfjsLayersToOnnx(net).graph?.node ?? [];
  assert.deepEqual(
    nodes.map((n) => n.opType),
    ['Gemm', 'Softmax'],
  );
  assert.deepEqual(nodes[1].output, ['output']);
  assert.ok((await exportedError(net)) <= TOLERANCE);
  net.dispose();
});

test('metadata, names and output order', async () => {
  const net = tf.sequential({ layers: [L.flatten({ inputShape: [2, 2, 1] }), L.dense({ units: 3 })] });
  randomizeWeights(net, 3);
  const proto = tfjsLayersToOnnx(net, {
    name: 'tiny',
    bounds: [0, 255],
    preprocessing: { scale: 2, mean: [1, 2, 3] },
    labels: ['a', 'b', 'c'],
    outputOrder: [2, 0, 1],
  });
  const meta = Object.fromEntries((proto.metadataProps ?? []).map((p) => [p.key, p.value]));
  assert.deepEqual(meta, {
    'advx.name': 'tiny',
    'advx.bounds': '0,255',
    'advx.preprocessing': '{"scale":2,"mean":[1,2,3]}',
    'advx.labels': '["a","b","c"]',
    'advx.layout': 'NHWC',
  });
  assert.equal(proto.graph?.input?.[0].name, 'input');
  assert.equal(proto.graph?.output?.[0].name, 'output');
  const x = Float32Array.from([0.1, 0.7, 0.3, 0.9]);
  const expected = tf.tidy(() => (net.predict(tf.tensor4d(x, [1, 2, 2, 1])) as tf.Tensor).dataSync());
  const { data } = await runOnnxModel(proto, x, [1, 2, 2, 1]);
  assert.ok(maxRelativeError(data, [expected[2], expected[0], expected[1]]) <= TOLERANCE);
  assert.throws(() => tfjsLayersToOnnx(net, { outputOrder: [0, 0, 1] }), /distinct outputs in \[0, 3\)/);
  const identity = tf.sequential({ layers: [L.dropout({ inputShape: [3], rate: 0.1 })] });
  const passThrough = await runOnnxModel(tfjsLayersToOnnx(identity), Float32Array.of(1, 2, 3), [1, 3]);
  assert.deepEqual([...passThrough.data], [1, 2, 3], 'a model that is the identity still has an output node');
  net.dispose();
  identity.dispose();
});
