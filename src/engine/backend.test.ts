/**
 * Backend choice: names are checked, a list is tried in order, and when nothing asked for starts the cpu
 * backend takes over with one warning naming each failure (in Node, webgpu and webgl never start). The
 * gradient kernels are registered whatever starts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backendsToTry, initEngine } from './backend.js';
import { tf } from './tf.js';

test('backends to try: one name, a list in order, or the default; anything else is a one-line error', () => {
  assert.deepEqual(backendsToTry('cpu'), ['cpu']);
  assert.deepEqual(backendsToTry(['webgl', 'wasm']), ['webgl', 'wasm']);
  assert.throws(
    () => backendsToTry('gpu' as 'cpu'),
    /^Error: backend must be one of webgpu, webgl, wasm, cpu \(got 'gpu'\)$/,
  );
  assert.throws(() => backendsToTry([]), /^Error: backend: give at least one of webgpu, webgl, wasm, cpu$/);
  const saved = process.env.ADVX_BACKEND;
  try {
    process.env.ADVX_BACKEND = '';
    assert.deepEqual(backendsToTry(undefined), ['wasm'], 'Node: wasm by default');
    process.env.ADVX_BACKEND = 'cpu';
    assert.deepEqual(backendsToTry(undefined), ['cpu']);
    process.env.ADVX_BACKEND = 'tpu';
    assert.throws(
      () => backendsToTry(undefined),
      /^Error: ADVX_BACKEND must be one of webgpu, webgl, wasm, cpu \(got 'tpu'\)$/,
    );
  } finally {
    if (saved === undefined) delete process.env.ADVX_BACKEND;
    else process.env.ADVX_BACKEND = saved;
  }
});

test('when no backend asked for starts, cpu takes over with one warning; later calls keep the first choice', async () => {
  const warnings: string[] = [];
  const used = await initEngine({ backend: ['webgpu', 'webgl'], warn: (m) => warnings.push(m) });
  assert.equal(used, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /webgpu: not available.*; webgl: not available.*using the slow cpu backend$/);
  assert.equal(await initEngine('wasm'), 'cpu', 'the engine starts once');
  // advx's gradient kernels are registered on start, whatever the backend
  assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined);
});
