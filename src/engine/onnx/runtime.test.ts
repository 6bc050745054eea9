/**
 * The ONNX Runtime module is injectable: sessions run on the module given to `useOnnxRuntime` (here
 * onnxruntime-node itself, seen through a wrapper that counts sessions), and anything that is not an ONNX
 * Runtime module is refused with a one-line error.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as onnxruntimeNode from 'onnxruntime-node';
import { networkModel } from './gradient-testing.js';
import { encodeModel } from './proto.js';
import { onnxRuntime, useOnnxRuntime, type OnnxRuntime } from './runtime.js';
import { createSession, runSession } from './session.js';

const bytes = encodeModel(networkModel((b, x) => b.op('Mul', [x, b.scalar(3)]), [1, 2]));

test('in Node the default runtime is onnxruntime-node', async () => {
  assert.equal((await onnxRuntime()).InferenceSession, onnxruntimeNode.InferenceSession);
});

test('sessions run on the runtime given to useOnnxRuntime', async () => {
  let created = 0;
  const counting: OnnxRuntime = {
    Tensor: onnxruntimeNode.Tensor,
    InferenceSession: {
      create: ((...args: Parameters<typeof onnxruntimeNode.InferenceSession.create>) => {
        created++;
        return onnxruntimeNode.InferenceSession.create(...args);
      }) as typeof onnxruntimeNode.InferenceSession.create,
    } as typeof onnxruntimeNode.InferenceSession,
  };
  useOnnxRuntime(counting);
  const session = await createSession(bytes);
  const out = await runSession(session, { x: { data: Float32Array.from([1, -2]), dims: [1, 1, 2] } });
  await session.release();
  assert.equal(created, 1);
  assert.deepEqual(Array.from(out.y.data), [3, -6]);
});

test('something that is not an ONNX Runtime module is refused', () => {
  assert.throws(
    () => useOnnxRuntime({} as OnnxRuntime),
    /^Error: useOnnxRuntime: expected an ONNX Runtime module \(with InferenceSession and Tensor\)$/,
  );
});
