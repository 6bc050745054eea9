/**
 * Tiny models written for tests, good and broken in the ways users' files are: a TensorFlow.js layers
 * classifier of 4x4x1 inputs (or with two outputs, or an image-shaped output), and ONNX graphs alike. They
 * take milliseconds to write and to load.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeModel, floatTensor, makeNode, OPSET, valueInfo, type onnx } from '../engine/onnx/proto.js';
import { tf } from '../engine/tf.js';
import { saveLayersModel } from './save-model.js';

export type TinyVariant = 'classifier' | 'two-outputs' | 'image-output';

/** A seeded 4x4x1 -> `classes` network of the given variant (not compiled, not trained). */
function tinyNetwork(variant: TinyVariant, classes: number): tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 1] });
  const init = tf.initializers.glorotUniform({ seed: 1 });
  if (variant === 'image-output') {
    const conv = tf.layers.conv2d({ filters: classes, kernelSize: 1, kernelInitializer: init });
    return tf.model({ inputs: input, outputs: conv.apply(input) as tf.SymbolicTensor });
  }
  const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
  const scores = tf.layers
    .dense({ units: classes, kernelInitializer: init })
    .apply(flat) as tf.SymbolicTensor;
  if (variant === 'classifier') return tf.model({ inputs: input, outputs: scores });
  const extra = tf.layers.dense({ units: 2, kernelInitializer: init }).apply(flat) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [scores, extra] });
}

/** Writes a tiny layers model into `dir` (model.json + weights.bin); returns the model.json path. */
export async function writeTinyLayersModel(
  dir: string,
  variant: TinyVariant = 'classifier',
  classes = 3,
): Promise<string> {
  const net = tinyNetwork(variant, classes);
  try {
    return (await saveLayersModel(net, dir, { overwrite: true })).modelJson;
  } finally {
    net.dispose();
  }
}

/** Edits a model.json in place. */
export function editModelJson(file: string, edit: (json: Record<string, unknown>) => void): void {
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(file, JSON.stringify(json));
}

/** Overwrites every weight of a model folder's weights.bin with NaN (same size). */
export function poisonWeights(dir: string): void {
  const file = join(dir, 'weights.bin');
  const count = readFileSync(file).length / 4;
  writeFileSync(file, Buffer.from(new Float32Array(count).fill(NaN).buffer));
}

export type TinyOnnxVariant = 'classifier' | 'two-outputs' | 'image-output' | 'nan-weights';

/** A tiny NHWC ONNX graph: x [N,4,4,1] -> Flatten -> MatMul -> logits [N,3], or a broken variant. */
export function tinyOnnx(variant: TinyOnnxVariant = 'classifier'): Uint8Array {
  const w = new Float32Array(48).map((_, i) => (variant === 'nan-weights' ? NaN : ((i % 7) - 3) / 4));
  const nodes: onnx.INodeProto[] = [
    makeNode('Flatten', ['x'], ['flat'], { axis: 1 }),
    makeNode('MatMul', ['flat', 'w'], ['logits']),
  ];
  const outputs: onnx.IValueInfoProto[] = [valueInfo('logits', ['N', 3])];
  if (variant === 'two-outputs') {
    nodes.push(makeNode('Relu', ['logits'], ['scores']));
    outputs.push(valueInfo('scores', ['N', 3]));
  }
  if (variant === 'image-output') {
    nodes.splice(0, 2, makeNode('Relu', ['x'], ['y']));
    outputs.splice(0, 1, valueInfo('y', ['N', 4, 4, 1]));
  }
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    metadataProps: [{ key: 'advx.layout', value: 'NHWC' }],
    graph: {
      name: `tiny-${variant}`,
      node: nodes,
      initializer: variant === 'image-output' ? [] : [floatTensor('w', [16, 3], w)],
      input: [valueInfo('x', ['N', 4, 4, 1])],
      output: outputs,
    },
  });
}
