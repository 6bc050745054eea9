/**
 * What the exporter's tests share: run an exported model on ONNX Runtime, the error measure they check
 * (max absolute difference relative to the largest reference value), and the comparison of an exported
 * model with the advx model it came from.
 */
import * as ort from 'onnxruntime-node';
import { applyPreprocessing } from '../../models/preprocessing.js';
import type { TfjsModel } from '../../models/tfjs-model.js';
import type { Tensor4D } from '../tf.js';
import { encodeModel, type onnx } from './proto.js';

/** Runs a one-input one-output model on ONNX Runtime (1 thread) and returns its output values. */
export async function runOnnxModel(
  model: onnx.IModelProto | Uint8Array | string,
  input: Float32Array,
  dims: readonly number[],
): Promise<{ data: Float32Array; dims: number[] }> {
  const source = typeof model === 'string' || model instanceof Uint8Array ? model : encodeModel(model);
  const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
  const session =
    typeof source === 'string'
      ? await ort.InferenceSession.create(source, options)
      : await ort.InferenceSession.create(source, options);
  try {
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, [...dims]) };
    const result = (await session.run(feeds))[session.outputNames[0]];
    return { data: result.data as Float32Array, dims: [...result.dims] };
  } finally {
    await session.release();
  }
}

/** max |actual - expected| / max |expected| (lengths must match). */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length)
    throw new Error(`maxRelativeError: ${actual.length} values vs ${expected.length} expected`);
  let scale = 0;
  let error = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    error = Math.max(error, Math.abs(actual[i] - expected[i]));
  }
  return scale === 0 ? error : error / scale;
}

/**
 * The exported network (file) fed the preprocessed pixels `x` vs the advx model's own tfjs logits of `x`
 * (pixels in bounds): the max relative error. Throws when the output shapes differ.
 */
export async function onnxVsTfjsError(file: string, model: TfjsModel, x: Tensor4D): Promise<number> {
  const input = applyPreprocessing(x, model.preprocessing);
  const fed = Float32Array.from(input.dataSync());
  if (input !== x) input.dispose();
  const logits = await model.logits(x);
  try {
    const onnx = await runOnnxModel(file, fed, x.shape);
    if (onnx.dims.join(',') !== logits.shape.join(','))
      throw new Error(`ONNX output [${onnx.dims}] vs tfjs logits [${logits.shape}]`);
    return maxRelativeError(onnx.data, logits.dataSync());
  } finally {
    logits.dispose();
  }
}
