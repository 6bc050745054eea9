/**
 * The engine's layer patches for training (unfused layers, convolution gradients as forward convolutions)
 * on the GAN networks: the same outputs and weight gradients as tfjs' own layers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tf } from '../engine/tf.js';
import { initEngine } from '../engine/backend.js';
import { useFastGradientLayers } from '../engine/unfused-layers.js';
import { dcganDiscriminator, dcganGenerator } from './gan-architecture.js';

function assertClose(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  // Loops, not Math.max(...array): spreading a large array overflows the call stack.
  const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
  const worst = actual.reduce((m, a, i) => Math.max(m, Math.abs(a - expected[i])), 0);
  assert.ok(worst / scale < 1e-4, `${what}: max error ${worst} (scale ${scale})`);
}

test('useFastGradientLayers keeps the outputs of the GAN networks and their weight gradients', async () => {
  await initEngine();
  const before = tf.memory().numTensors;
  const nets = [dcganGenerator(8, 3), dcganDiscriminator(3)];
  const inputs = [
    tf.randomNormal([4, 8], 0, 1, 'float32', 1),
    tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 2),
  ];
  const measure = (net: tf.LayersModel, x: tf.Tensor) =>
    tf.tidy(() => {
      const vars = net.trainableWeights.map((w) => w.read() as tf.Variable);
      const out = net.apply(x, { training: true }) as tf.Tensor;
      const { grads } = tf.variableGrads(
        () => tf.sum(tf.square(net.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
        vars,
      );
      return {
        out: Array.from(out.dataSync()),
        grads: vars.map((v) => Array.from(grads[v.name].dataSync())),
      };
    });
  for (const [i, net] of nets.entries()) {
    const plain = measure(net, inputs[i]);
    useFastGradientLayers(net);
    const fast = measure(net, inputs[i]);
    assertClose(fast.out, plain.out, `${net.name} output`);
    fast.grads.forEach((g, k) => assertClose(g, plain.grads[k], `${net.name} gradient ${k}`));
  }
  nets.forEach((n) => n.dispose());
  tf.dispose(inputs);
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
});
