import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tf } from './tf.js';
import { initEngine, useBackend } from './backend.js';
import { useUnfusedLayersUnderGradients } from './unfused-layers.js';

/** A small network with every layer kind of the zoo models: conv (fused path), depthwise, BN, relu6, leaky relu, pooling, dense. */
function network(): tf.LayersModel {
  const input = tf.input({ shape: [16, 16, 3] });
  let y = tf.layers
    .conv2d({
      filters: 8,
      kernelSize: 3,
      padding: 'same',
      useBias: false,
      kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }),
    })
    .apply(input) as tf.SymbolicTensor;
  y = tf.layers
    .batchNormalization({ movingMeanInitializer: tf.initializers.randomNormal({ seed: 2, stddev: 0.1 }) })
    .apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU({ maxValue: 6 }).apply(y) as tf.SymbolicTensor;
  y = tf.layers
    .zeroPadding2d({
      padding: [
        [0, 1],
        [0, 1],
      ],
    })
    .apply(y) as tf.SymbolicTensor;
  y = tf.layers
    .depthwiseConv2d({
      kernelSize: 3,
      strides: 2,
      padding: 'valid',
      depthwiseInitializer: tf.initializers.glorotNormal({ seed: 3 }),
    })
    .apply(y) as tf.SymbolicTensor;
  y = tf.layers
    .conv2d({
      filters: 8,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotNormal({ seed: 4 }),
    })
    .apply(y) as tf.SymbolicTensor;
  y = tf.layers.leakyReLU({ alpha: 0.1 }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.maxPooling2d({ poolSize: 2 }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.flatten().apply(y) as tf.SymbolicTensor;
  y = tf.layers
    .dense({ units: 5, kernelInitializer: tf.initializers.glorotNormal({ seed: 5 }) })
    .apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

function loss(net: tf.LayersModel) {
  const onehot = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 0], 'int32'), 5);
  return (x: tf.Tensor) => tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(net.apply(x) as tf.Tensor))));
}

test('input gradients run no filter-gradient kernel and no fused conv', async () => {
  await initEngine('wasm');
  const net = network();
  useUnfusedLayersUnderGradients(net);
  const x = tf.randomUniform([6, 16, 16, 3], 0, 1, 'float32', 7);
  const info = await tf.profile(() => tf.grad(loss(net))(x));
  const kernels = new Set(info.kernelNames);
  assert.ok(kernels.has('Conv2DBackpropInput'), 'the input gradient of conv layers was computed');
  assert.ok(kernels.has('DepthwiseConv2dNativeBackpropInput'));
  for (const name of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'FusedConv2D']) {
    assert.ok(!kernels.has(name), `${name} ran during an input gradient`);
  }
});

test('input gradient on wasm equals the cpu backend and a finite difference', async () => {
  await useBackend('wasm');
  const net = network();
  useUnfusedLayersUnderGradients(net);
  const x = tf.randomUniform([6, 16, 16, 3], 0, 1, 'float32', 8);
  const f = loss(net);
  const wasmGrad = tf.grad(f)(x);
  const raw = tf.randomNormal(x.shape, 0, 1, 'float32', 9);
  const direction = tf.div(raw, tf.norm(raw)); // unit length: the probe moves x by h in total
  const h = 1e-2;
  const fd =
    (f(tf.add(x, tf.mul(direction, h))).dataSync()[0] - f(tf.sub(x, tf.mul(direction, h))).dataSync()[0]) /
    (2 * h);
  const analytic = tf.sum(tf.mul(wasmGrad, direction)).dataSync()[0];
  assert.ok(
    Math.abs(fd - analytic) <= 0.02 * Math.abs(analytic) + 1e-3,
    `directional derivative ${analytic} vs finite difference ${fd}`,
  );
  await useBackend('cpu');
  const cpuGrad = tf.grad(f)(x);
  const diff = tf.max(tf.abs(tf.sub(cpuGrad, wasmGrad))).dataSync()[0];
  const scale = tf.max(tf.abs(cpuGrad)).dataSync()[0];
  assert.ok(diff < 1e-4 * Math.max(1, scale), `wasm and cpu input gradients differ by ${diff}`);
  await useBackend('wasm');
});

test('training through patched layers still gets weight gradients equal to the unpatched ones', async () => {
  await useBackend('wasm');
  const net = network();
  const x = tf.randomUniform([6, 16, 16, 3], 0, 1, 'float32', 10);
  const f = () => loss(net)(x) as tf.Scalar;
  const before = tf.variableGrads(f).grads;
  useUnfusedLayersUnderGradients(net);
  const after = tf.variableGrads(f).grads;
  assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort());
  for (const name of Object.keys(before)) {
    const diff = tf.max(tf.abs(tf.sub(before[name], after[name]))).dataSync()[0];
    assert.ok(diff < 1e-4, `${name}: weight gradient changed by ${diff}`);
  }
});
