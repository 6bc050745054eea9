import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tf } from './tf.js';
import { useBackend } from './backend.js';
import { unsortedSegmentSum } from './wasm-gradient-kernels.js';

type Op = (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor4D;
interface Case {
  name: string;
  x: [number, number, number, number];
  f: [number, number, number, number];
  op: Op;
}

const cases: Case[] = [
  {
    name: 'conv2d stride 1 same',
    x: [2, 7, 7, 3],
    f: [3, 3, 3, 4],
    op: (x, f) => tf.conv2d(x, f, 1, 'same'),
  },
  {
    name: 'conv2d stride 2 valid',
    x: [3, 9, 9, 3],
    f: [3, 3, 3, 5],
    op: (x, f) => tf.conv2d(x, f, 2, 'valid'),
  },
  {
    name: 'conv2d stride 2 same',
    x: [2, 8, 8, 3],
    f: [3, 3, 3, 5],
    op: (x, f) => tf.conv2d(x, f, 2, 'same'),
  },
  {
    name: 'conv2d 5x5 stride 1 valid',
    x: [4, 10, 10, 2],
    f: [5, 5, 2, 3],
    op: (x, f) => tf.conv2d(x, f, 1, 'valid'),
  },
  {
    name: 'depthwise stride 1 same',
    x: [2, 7, 7, 3],
    f: [3, 3, 3, 1],
    op: (x, f) => tf.depthwiseConv2d(x, f, 1, 'same'),
  },
  {
    name: 'depthwise stride 2 valid',
    x: [2, 9, 9, 3],
    f: [3, 3, 3, 1],
    op: (x, f) => tf.depthwiseConv2d(x, f, 2, 'valid'),
  },
  {
    name: 'depthwise stride 2 valid, even size',
    x: [3, 8, 8, 4],
    f: [3, 3, 4, 1],
    op: (x, f) => tf.depthwiseConv2d(x, f, 2, 'valid'),
  },
  {
    name: 'depthwise multiplier 2 stride 2 same',
    x: [2, 8, 8, 3],
    f: [3, 3, 3, 2],
    op: (x, f) => tf.depthwiseConv2d(x, f, 2, 'same'),
  },
];

async function gradients(backend: 'cpu' | 'wasm', c: Case): Promise<Float32Array[]> {
  await useBackend(backend);
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', 1) as tf.Tensor4D;
    const f = tf.randomNormal(c.f, 0, 1, 'float32', 2) as tf.Tensor4D;
    const probe = (y: tf.Tensor) => tf.randomNormal(y.shape, 0, 1, 'float32', 3);
    const loss = (a: tf.Tensor, b: tf.Tensor) => {
      const y = c.op(a as tf.Tensor4D, b as tf.Tensor4D);
      return tf.sum(tf.mul(y, probe(y)));
    };
    return tf
      .grads(loss)([x, f])
      .map((g) => g.dataSync() as Float32Array);
  });
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

for (const c of cases) {
  test(`wasm input and filter gradients equal the cpu backend's: ${c.name}`, async () => {
    const [cpuDx, cpuDf] = await gradients('cpu', c);
    const [wasmDx, wasmDf] = await gradients('wasm', c);
    assert.ok(maxAbsDiff(cpuDx, wasmDx) < 1e-4, `dx differs by ${maxAbsDiff(cpuDx, wasmDx)}`);
    assert.ok(maxAbsDiff(cpuDf, wasmDf) < 1e-4, `dfilter differs by ${maxAbsDiff(cpuDf, wasmDf)}`);
    assert.ok(cpuDx.some((v) => v !== 0) && cpuDf.some((v) => v !== 0), 'gradients are not trivially zero');
  });
}

test('the gradient kernels do not leak tensors', async () => {
  await useBackend('wasm');
  const x = tf.randomNormal([2, 8, 8, 3]) as tf.Tensor4D;
  const f = tf.randomNormal([3, 3, 3, 1]) as tf.Tensor4D;
  const step = () =>
    tf.tidy(() =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')),
      )([x, f]),
    );
  tf.dispose(step());
  const before = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) tf.dispose(step());
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, f]);
});

test('conv2dTranspose (the same kernel) equals the cpu backend, forward and backward', async () => {
  const run = async (backend: 'cpu' | 'wasm') => {
    await useBackend(backend);
    return tf.tidy(() => {
      const x = tf.randomNormal([2, 7, 7, 6], 0, 1, 'float32', 1) as tf.Tensor4D;
      const f = tf.randomNormal([4, 4, 3, 6], 0, 1, 'float32', 2) as tf.Tensor4D;
      const op = (a: tf.Tensor, b: tf.Tensor) =>
        tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [2, 14, 14, 3], 2, 'same');
      const y = op(x, f);
      const probe = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
      const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a, b), probe)))([x, f]);
      return [y, dx, df].map((t) => t.dataSync() as Float32Array);
    });
  };
  const cpu = await run('cpu');
  const wasm = await run('wasm');
  ['forward', 'dx', 'dfilter'].forEach((what, i) =>
    assert.ok(maxAbsDiff(cpu[i], wasm[i]) < 1e-3, `${what} differs by ${maxAbsDiff(cpu[i], wasm[i])}`),
  );
});

test('batch-norm gradients (input and parameters) equal finite differences', async () => {
  await useBackend('wasm');
  const x = tf.randomNormal([3, 4, 4, 5], 0, 1, 'float32', 4);
  const mean = tf.randomNormal([5], 0, 0.3, 'float32', 5);
  const variance = tf.randomUniform([5], 0.5, 2, 'float32', 6);
  const scale = tf.randomUniform([5], 0.5, 2, 'float32', 7);
  const offset = tf.randomNormal([5], 0, 1, 'float32', 8);
  const probe = tf.randomNormal(x.shape, 0, 1, 'float32', 9);
  const f = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor, o: tf.Tensor) =>
    tf.sum(
      tf.mul(
        tf.batchNorm(a, m as tf.Tensor1D, v as tf.Tensor1D, o as tf.Tensor1D, s as tf.Tensor1D, 1e-3),
        probe,
      ),
    );
  const inputs = [x, mean, variance, scale, offset];
  const grads = tf.grads(f)(inputs);
  inputs.forEach((input, k) => {
    const raw = tf.randomNormal(input.shape, 0, 1, 'float32', 20 + k);
    const dir = tf.div(raw, tf.norm(raw));
    const h = 1e-2;
    const shifted = (sign: number) =>
      f(
        ...(inputs.map((t, j) => (j === k ? tf.add(t, tf.mul(dir, sign * h)) : t)) as [
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
        ]),
      );
    const fd = (shifted(1).dataSync()[0] - shifted(-1).dataSync()[0]) / (2 * h);
    const analytic = tf.sum(tf.mul(grads[k], dir)).dataSync()[0];
    assert.ok(
      Math.abs(fd - analytic) < 0.02 * Math.abs(analytic) + 2e-3,
      `input ${k}: ${analytic} vs finite difference ${fd}`,
    );
  });
});

test('1x1 convolutions (the matMul path of both gradients) equal the cpu backend', async () => {
  const c: Case = { name: '1x1', x: [2, 6, 6, 5], f: [1, 1, 5, 7], op: (x, f) => tf.conv2d(x, f, 1, 'same') };
  const c2: Case = {
    name: '1x1 stride 2',
    x: [2, 7, 7, 5],
    f: [1, 1, 5, 7],
    op: (x, f) => tf.conv2d(x, f, 2, 'valid'),
  };
  for (const k of [c, c2]) {
    const [cpuDx, cpuDf] = await gradients('cpu', k);
    const [wasmDx, wasmDf] = await gradients('wasm', k);
    assert.ok(maxAbsDiff(cpuDx, wasmDx) < 1e-4 && maxAbsDiff(cpuDf, wasmDf) < 1e-4, k.name);
  }
});

test('max-pool gradients equal the cpu backend (wasm 4.22 MaxPoolGrad is wrong), also for all-negative windows', async () => {
  const pools: [string, (x: tf.Tensor4D) => tf.Tensor4D, number[]][] = [
    ['2x2 stride 2 valid', (x) => tf.maxPool(x, 2, 2, 'valid'), [2, 6, 6, 3]],
    ['3x3 stride 2 same', (x) => tf.maxPool(x, 3, 2, 'same'), [2, 7, 7, 3]],
    ['2x2 stride 1 same', (x) => tf.maxPool(x, 2, 1, 'same'), [1, 5, 5, 2]],
    ['2x2 stride 2 valid, odd size (last row uncovered)', (x) => tf.maxPool(x, 2, 2, 'valid'), [2, 7, 5, 3]],
    ['3x3 stride 3 valid', (x) => tf.maxPool(x, 3, 3, 'valid'), [2, 9, 9, 2]],
  ];
  for (const [name, pool, shape] of pools) {
    for (const shift of [0, 5]) {
      const run = async (backend: 'cpu' | 'wasm') => {
        await useBackend(backend);
        return tf.tidy(() => {
          // Rounded to 1 decimal so that windows hold ties: the gradient must go to the first maximum only.
          const x = tf.sub(
            tf.round(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), 2)),
            shift,
          ) as tf.Tensor4D;
          const probe = tf.randomNormal(pool(x).shape, 0, 1, 'float32', 2);
          return tf
            .grad((a: tf.Tensor) => tf.sum(tf.mul(pool(a as tf.Tensor4D), probe)))(x)
            .dataSync() as Float32Array;
        });
      };
      const diff = maxAbsDiff(await run('cpu'), await run('wasm'));
      assert.ok(diff < 1e-6, `${name}, shift ${shift}: differs by ${diff}`);
    }
  }
});

test('the gradient of gather (UnsortedSegmentSum, missing on wasm) equals the cpu backend', async () => {
  const run = async (backend: 'cpu' | 'wasm') => {
    await useBackend(backend);
    return tf.tidy(() => {
      const x = tf.randomNormal([3, 7], 0, 1, 'float32', 1);
      const order = tf.tensor1d([6, 2, 2, 0, 5], 'int32');
      const probe = tf.randomNormal([3, 5], 0, 1, 'float32', 2);
      return tf
        .grad((a: tf.Tensor) => tf.sum(tf.mul(tf.gather(a, order, 1), probe)))(x)
        .dataSync() as Float32Array;
    });
  };
  const cpu = await run('cpu');
  assert.ok(maxAbsDiff(cpu, await run('wasm')) < 1e-6);
  assert.ok(cpu.some((v) => v !== 0));
});

test('UnsortedSegmentSum (the gradient of gather) works with one segment, as with a batch of one image', () => {
  const x = tf.tensor2d([
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  const one = unsortedSegmentSum(x, tf.tensor1d([0, 0, 0], 'int32'), 1);
  assert.deepEqual(one.arraySync(), [[9, 12]]);
  const two = unsortedSegmentSum(x, tf.tensor1d([1, 0, 1], 'int32'), 2);
  assert.deepEqual(two.arraySync(), [
    [3, 4],
    [6, 8],
  ]);
  tf.dispose([x, one, two]);
});
