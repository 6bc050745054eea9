/** ONNX Runtime sessions: thread option checks and one-line errors for inputs that do not fit. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { networkModel } from './gradient-testing.js';
import { encodeModel } from './proto.js';
import { createSession, runSession } from './session.js';

const bytes = encodeModel(networkModel((b, x) => b.op('Mul', [x, b.scalar(2)]), [1, 2, 2]));

test('a session runs with 1 or 2 threads and returns float outputs with their dims', async () => {
  for (const threads of [1, 2]) {
    const session = await createSession(bytes, { threads });
    const out = await runSession(session, {
      x: { data: Float32Array.from([1, 2, 3, 4]), dims: [1, 1, 2, 2] },
    });
    await session.release();
    assert.deepEqual(Array.from(out.y.data), [2, 4, 6, 8]);
    assert.deepEqual(out.y.dims, [1, 1, 2, 2]);
  }
});

test('bad thread counts and inputs that do not fit are one-line errors', async () => {
  await assert.rejects(
    createSession(bytes, { threads: 0 }),
    /^Error: threads: expected a positive integer, got 0$/,
  );
  const session = await createSession(bytes);
  await assert.rejects(
    runSession(session, { x: { data: new Float32Array(3), dims: [1, 1, 2, 2] } }),
    /^Error: ONNX input 'x': 3 values for shape \[1,1,2,2\]$/,
  );
  await assert.rejects(
    runSession(session, { x: { data: new Float32Array(6), dims: [1, 1, 2, 3] } }),
    (error: Error) => {
      assert.match(error.message, /^ONNX Runtime run failed: /);
      assert.ok(!error.message.includes('\n'));
      return true;
    },
  );
  await session.release();
});
