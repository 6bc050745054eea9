/**
 * The ONNX export of a TensorFlow.js layers model folder, made once per machine and kept in the model cache
 * under a hash of the folder's files (model.json and weights): a later load of the same model on ONNX
 * Runtime reads the export and never starts tfjs. The export is written atomically, so concurrent loads
 * and a kill leave either no file or a complete one.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../data/atomic-write.js';
import { tfjsLayersToOnnx } from '../engine/onnx/export-tfjs.js';
import { encodeModel, type onnx } from '../engine/onnx/proto.js';
import { tf } from '../engine/tf.js';
import { defaultCacheDir } from '../data/locations.js';
import { loadNetwork, readModelJson, weightsPathInside } from './model-files.js';
import { readOnnxFile } from './onnx-file.js';
import { stripFinalSoftmax } from './tfjs-model.js';
import { initEngine } from '../engine/backend.js';

/** Changes whenever the exporter writes different graphs for the same model, so that old exports are not reused. */
const EXPORT_VERSION = 'advx-export-1';

/** sha256 over the export version and a model folder's model.json and weight files, in manifest order. */
export function tfjsFolderHash(dir: string): string {
  const modelFile = join(dir, 'model.json');
  const hash = createHash('sha256').update(EXPORT_VERSION).update(readFileSync(modelFile));
  for (const group of readModelJson(modelFile).weightsManifest)
    for (const path of group.paths) hash.update(readFileSync(weightsPathInside(dir, path, modelFile)));
  return hash.digest('hex');
}

/**
 * The network of `dir` as an ONNX model: logits (a final softmax replaced by the identity, as TfjsModel
 * does), in the network's own output order. A graph model (not a layers model) cannot be exported.
 */
export async function onnxOfTfjsFolder(
  dir: string,
  cacheDir: string = defaultCacheDir(),
): Promise<onnx.IModelProto> {
  const file = join(cacheDir, 'onnx', `${tfjsFolderHash(dir).slice(0, 32)}.onnx`);
  if (existsSync(file)) return readOnnxFile(file);
  await initEngine(); // the export reads the network with tfjs
  const { net } = await loadNetwork(dir);
  try {
    if (!(net instanceof tf.LayersModel))
      throw new Error(`${dir}: a TensorFlow.js graph model cannot run on ONNX Runtime (use --engine tfjs)`);
    stripFinalSoftmax(net);
    const proto = tfjsLayersToOnnx(net, { name: net.name });
    writeFileAtomically(file, encodeModel(proto), true);
    return proto;
  } finally {
    net.dispose();
  }
}
