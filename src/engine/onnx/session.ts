/**
 * ONNX Runtime sessions: created from model bytes on the runtime in use (runtime.ts: onnxruntime-node's
 * CPU provider with `threads` intra-op threads in Node, onnxruntime-web's wasm provider in the browser;
 * sequential execution, every graph optimization on), and run with plain typed arrays.
 */
import type * as ort from 'onnxruntime-node';
import { sessionHost } from './runtime.js';
import type { OnnxRuntime, Session } from './session-host.js';

export interface SessionOptions {
  /** Intra-op threads (default: 1). */
  threads?: number;
  /** Write the model ORT actually runs (after fusions and layout changes) here, for inspection. */
  optimizedModelPath?: string;
}

/** A tensor crossing into or out of a session. */
export interface TensorData<T extends Float32Array | BigInt64Array = Float32Array | BigInt64Array> {
  data: T;
  dims: readonly number[];
}

export type { Session } from './session-host.js';

function oneLine(error: unknown): string {
  return String((error as Error)?.message ?? error)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ');
}

export async function createSession(
  bytes: Uint8Array,
  options: SessionOptions = {},
  what = 'ONNX model',
): Promise<Session> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`threads: expected a positive integer, got ${threads}`);
  const host = await sessionHost();
  const sessionOptions = host.sessionOptions({ threads, optimizedModelPath: options.optimizedModelPath });
  try {
    return await host.runtime.InferenceSession.create(bytes, sessionOptions);
  } catch (error) {
    throw new Error(`${what}: ONNX Runtime cannot load it (${oneLine(error)})`, { cause: error });
  }
}

function toOrtTensor(runtime: OnnxRuntime, name: string, value: TensorData): ort.Tensor {
  const size = value.dims.reduce((a, b) => a * b, 1);
  if (size !== value.data.length) {
    throw new Error(`ONNX input '${name}': ${value.data.length} values for shape [${value.dims.join(',')}]`);
  }
  return value.data instanceof BigInt64Array
    ? new runtime.Tensor('int64', value.data, value.dims)
    : new runtime.Tensor('float32', value.data, value.dims);
}

/** Runs `session` and returns the requested float outputs (all outputs when `outputs` is omitted). */
export async function runSession(
  session: Session,
  feeds: Record<string, TensorData>,
  outputs: readonly string[] = session.outputNames,
): Promise<Record<string, TensorData<Float32Array>>> {
  const { runtime } = await sessionHost();
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, value] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(runtime, name, value);
  let results: ort.InferenceSession.OnnxValueMapType;
  try {
    results = await session.run(ortFeeds, [...outputs]);
  } catch (error) {
    throw new Error(`ONNX Runtime run failed: ${oneLine(error)}`, { cause: error });
  }
  const out: Record<string, TensorData<Float32Array>> = {};
  for (const name of outputs) {
    const tensor = results[name];
    if (tensor.type !== 'float32')
      throw new Error(`ONNX output '${name}' is ${tensor.type}, expected float32`);
    out[name] = { data: tensor.data as Float32Array, dims: [...tensor.dims] };
  }
  return out;
}
