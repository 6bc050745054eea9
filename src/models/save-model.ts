/**
 * Saving a tfjs layers model to a folder in Node: `model.json` (tfjs layers format plus an `advx` block
 * that tells advx how to wrap the model) and `weights.bin`. tfjs' own `file://` handler exists only in
 * tfjs-node, so this is a small IOHandler of our own.
 */
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tf } from '../engine/tf.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** What advx needs to know about a saved model beyond its topology. */
export interface AdvxModelMetadata {
  /** Valid input range of the pixels the model takes. */
  bounds: [number, number];
  /** [height, width, channels] of one input. */
  inputShape: [number, number, number];
  /** Class names by output index. */
  labels: string[];
  /** What the model does to its inputs before the first layer ('none': it takes pixels in bounds). */
  preprocessing: 'none' | 'tf' | 'caffe' | 'torch';
  /** The network's output: logits (no softmax). */
  output: 'logits' | 'probabilities';
  dataset?: string;
  testAccuracy?: number;
  trainingCommand?: string;
  [key: string]: unknown;
}

export interface SaveModelOptions {
  /** Replace a model already in `dir` (default false: refuse). */
  overwrite?: boolean;
  /** Merged into the `advx` block of model.json over the defaults taken from the model. */
  metadata?: Partial<AdvxModelMetadata>;
}

export interface SavedModelInfo {
  dir: string;
  modelJson: string;
  weightsBin: string;
  weightBytes: number;
  metadata: AdvxModelMetadata;
}

/** True when `dir` already holds a saved model (model.json or weights.bin). Throws if `dir` is a file. */
export function modelExistsIn(dir: string): boolean {
  if (!existsSync(dir)) return false;
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} exists and is not a folder`);
  return existsSync(join(dir, MODEL_JSON)) || existsSync(join(dir, WEIGHTS_BIN));
}

function defaultMetadata(model: tf.LayersModel): AdvxModelMetadata {
  const input = model.inputs[0].shape.slice(1);
  const output = model.outputs[0].shape;
  const classes = output[output.length - 1] ?? 0;
  return {
    bounds: [0, 1],
    inputShape: input.map((d) => d ?? -1) as [number, number, number],
    labels: Array.from({ length: classes }, (_, i) => String(i)),
    preprocessing: 'none',
    output: 'logits',
  };
}

function writeAtomically(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Writes `model` to `dir` as model.json + weights.bin. Refuses to replace an existing model unless `overwrite`. */
export async function saveLayersModel(
  model: tf.LayersModel,
  dir: string,
  options: SaveModelOptions = {},
): Promise<SavedModelInfo> {
  const target = resolve(dir);
  if (modelExistsIn(target) && options.overwrite !== true) {
    throw new Error(
      `${target} already holds a model (${MODEL_JSON}/${WEIGHTS_BIN}); pass overwrite (--force) to replace it`,
    );
  }
  const metadata: AdvxModelMetadata = { ...defaultMetadata(model), ...options.metadata } as AdvxModelMetadata;
  const modelJson = join(target, MODEL_JSON);
  const weightsBin = join(target, WEIGHTS_BIN);
  let weightBytes = 0;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      if (artifacts.weightSpecs === undefined || artifacts.weightData === undefined) {
        throw new Error('saveLayersModel: tfjs produced no weights to save');
      }
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
      weightBytes = weights.byteLength;
      const json = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs }],
        advx: metadata,
      };
      mkdirSync(target, { recursive: true });
      writeAtomically(weightsBin, weights);
      writeAtomically(modelJson, JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return { dir: target, modelJson, weightsBin, weightBytes, metadata };
}
