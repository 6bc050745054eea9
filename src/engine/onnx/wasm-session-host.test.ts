/**
 * The browser's ONNX path without a browser: onnxruntime-web (its Node build runs the same wasm kernels
 * as in a page) on the wasm provider runs advx's generated gradient graph of a torch-exported CNN, every
 * loss kind, and agrees with onnxruntime-node; the wasm settings are checked with one-line errors.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as onnxruntimeNode from 'onnxruntime-node';
import * as onnxruntimeWeb from 'onnxruntime-web';
import { packageRoot } from '../../data/locations.js';
import type { LossKind } from '../../models/loss.js';
import { classifierGraph } from './classifier-graph.js';
import { gradientModel } from './gradient-model.js';
import { sampleLoss, values } from './gradient-testing.js';
import { lossFeeds } from './loss-feeds.js';
import { decodeModel, encodeModel } from './proto.js';
import { useOnnxRuntime } from './runtime.js';
import { createSession, runSession, type TensorData } from './session.js';
import { wasmSessionHost } from './wasm-session-host.js';

const fixture = join(packageRoot, 'src', 'engine', 'onnx', 'fixtures', 'torch-small-cnn.onnx');
const SHAPE = [2, 16, 16, 3];
const CLASSES = 10;
const KINDS: LossKind[] = ['crossentropy', 'margin', 'dlr', 'logits'];

async function gradients(graphs: Uint8Array[]): Promise<Record<string, TensorData<Float32Array>>[]> {
  const pixels = {
    data: values(
      SHAPE.reduce((a, b) => a * b),
      3,
      0,
      1,
    ),
    dims: SHAPE,
  };
  const out = [];
  for (const [i, bytes] of graphs.entries()) {
    const session = await createSession(bytes);
    try {
      const loss = sampleLoss(KINDS[i], SHAPE[0], CLASSES);
      out.push(await runSession(session, { pixels, ...lossFeeds(loss, SHAPE[0], CLASSES) }));
    } finally {
      await session.release();
    }
  }
  return out;
}

const maxDifference = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

test('onnxruntime-web (wasm) runs the gradient graphs and agrees with onnxruntime-node', async (t) => {
  const classifier = classifierGraph(decodeModel(readFileSync(fixture), 'torch-small-cnn.onnx'), {
    layout: 'NCHW',
  });
  const graphs = KINDS.map((kind) => encodeModel(gradientModel(classifier, kind)));
  useOnnxRuntime(onnxruntimeNode);
  const native = await gradients(graphs);
  useOnnxRuntime(onnxruntimeWeb, { executionProvider: 'wasm', numThreads: 1 });
  try {
    const wasm = await gradients(graphs);
    for (const [i, kind] of KINDS.entries()) {
      for (const name of ['logits', 'loss', 'gradient']) {
        assert.deepEqual(wasm[i][name].dims, native[i][name].dims);
        const difference = maxDifference(wasm[i][name].data, native[i][name].data);
        t.diagnostic(`${kind} ${name}: max |wasm - native| ${difference.toExponential(2)}`);
        assert.ok(difference < 1e-4, `${kind} ${name}: ${difference}`);
      }
    }
  } finally {
    useOnnxRuntime(onnxruntimeNode);
  }
});

test('wasm settings are checked, and onnxruntime-web writes no optimized model', () => {
  assert.throws(
    () => wasmSessionHost(onnxruntimeWeb, { numThreads: 0 }),
    /^Error: numThreads: expected a positive integer, got 0$/,
  );
  assert.throws(
    () => useOnnxRuntime(onnxruntimeNode, { executionProvider: 'cpu', wasmPaths: '/ort/' }),
    /^Error: useOnnxRuntime: wasmPaths and numThreads are settings of the wasm provider$/,
  );
  const host = wasmSessionHost(onnxruntimeWeb);
  assert.deepEqual(host.sessionOptions({ threads: 4 }).executionProviders, ['wasm']);
  assert.throws(
    () => host.sessionOptions({ threads: 1, optimizedModelPath: '/tmp/x.onnx' }),
    /^Error: optimizedModelPath: onnxruntime-web cannot write files$/,
  );
});
