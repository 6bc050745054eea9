/**
 * The ONNX model `advx ui` offers its page when onnxruntime-web is installed: the embedded Fashion-MNIST
 * CNN as advx exports it to ONNX, the very graph Node runs for `--model fashion-mnist-cnn` on ONNX Runtime
 * (the export cache's), served from memory as `models/fashion-mnist-cnn/model.onnx` under the name
 * `fashion-mnist-cnn.onnx`; and onnxruntime-web's own files to run it (onnx-runtime-files.ts).
 */
import { dirname } from 'node:path';
import { encodeModel } from '../engine/onnx/proto.js';
import { onnxOfTfjsFolder } from '../models/onnx-export-cache.js';
import { DEFAULT_MODEL } from '../models/zoo.js';
import type { ServedModels } from './catalog.js';
import type { CatalogModel } from './catalog-types.js';
import { onnxRuntimeWebFiles, type OnnxRuntimeWebFiles } from './onnx-runtime-files.js';

/** The catalog name of a zoo model's ONNX export. */
const onnxName = (zooName: string) => `${zooName}.onnx`;

export interface OnnxModelOptions {
  /** The export cache (default: advx's). */
  cacheDir?: string;
  /** Default: the installed onnxruntime-web's. */
  runtime?: OnnxRuntimeWebFiles;
}

/**
 * `models` with the ONNX export of the default zoo model added after it (and onnxruntime-web's files), or
 * with it listed as skipped, and why, when onnxruntime-web or the model is not at hand.
 */
export async function withOnnxModels(
  models: ServedModels,
  options: OnnxModelOptions = {},
): Promise<ServedModels> {
  const name = onnxName(DEFAULT_MODEL);
  const skip = (reason: string): ServedModels => ({
    ...models,
    skipped: [...models.skipped, { name, reason }],
  });
  const runtime = options.runtime ?? onnxRuntimeWebFiles();
  if (!runtime.found) return skip(runtime.reason);
  const index = models.catalog.models.findIndex((m) => m.name === DEFAULT_MODEL);
  const base = models.catalog.models[index];
  const modelJson = base === undefined ? undefined : models.files.get(base.url);
  if (base === undefined || typeof modelJson !== 'string') return skip(`${DEFAULT_MODEL} is not served`);
  let bytes: Uint8Array;
  try {
    bytes = encodeModel(await onnxOfTfjsFolder(dirname(modelJson), options.cacheDir));
  } catch (error) {
    return skip(`cannot export ${DEFAULT_MODEL} to ONNX (${(error as Error).message})`);
  }
  const url = base.url.replace(/model\.json$/, 'model.onnx');
  const entry: CatalogModel = {
    ...base,
    name,
    description: `${base.description} (its ONNX export, on onnxruntime-web in this page)`,
    url,
  };
  const list = [...models.catalog.models];
  list.splice(index + 1, 0, entry);
  const files = new Map(models.files);
  files.set(url, bytes);
  for (const [path, file] of runtime.files) files.set(path, file);
  return { ...models, catalog: { ...models.catalog, models: list, onnxRuntime: runtime.runtime }, files };
}
