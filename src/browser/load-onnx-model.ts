/**
 * `loadModel(url)` of an `.onnx` URL in the browser: the file fetched, decoded and wrapped as an
 * `OnnxModel`, exactly as Node wraps an .onnx file (the same canonical classifier graph and generated
 * gradient graphs), on the ONNX Runtime given to `engine.useOnnxRuntime` (onnxruntime-web, wasm provider).
 * Bounds, preprocessing, labels, name and layout come from the options, else from the file's `advx.*`
 * metadata (as `advx export onnx` writes it); the layout else from the graph. Weights stored as external
 * data cannot be fetched: such a file is refused.
 */
import { initEngine } from '../engine/backend.js';
import { inputLayout } from '../engine/onnx/classifier-graph.js';
import { decodeModel, onnx } from '../engine/onnx/proto.js';
import { hasOnnxRuntime, NO_RUNTIME_MESSAGE } from '../engine/onnx/runtime.js';
import { checkClassifierOutput, onnxMetadata } from '../models/onnx-metadata.js';
import { OnnxModel } from '../models/onnx-model.js';
import { fetchOk } from './fetch-ok.js';
import type { UrlModelOptions } from './load-model.js';
import { preprocessingOf } from './preprocessing-option.js';

function hasExternalData(model: onnx.IModelProto): boolean {
  const tensors = [...(model.graph?.initializer ?? [])];
  for (const node of model.graph?.node ?? [])
    for (const a of node.attribute ?? []) if (a.t) tensors.push(a.t);
  return tensors.some((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
}

/** Loads the ONNX model at `url` (an .onnx file with its weights inside). */
export async function loadOnnxModel(url: URL, options: UrlModelOptions = {}): Promise<OnnxModel> {
  if (!hasOnnxRuntime()) throw new Error(`${url.href}: ${NO_RUNTIME_MESSAGE}`);
  await initEngine(); // the model's tensors are tfjs tensors
  const bytes = new Uint8Array(await (await fetchOk(url, options.requestInit, 'model')).arrayBuffer());
  options.onProgress?.(1);
  const network = decodeModel(bytes, url.href);
  checkClassifierOutput(network, url.href);
  if (hasExternalData(network))
    throw new Error(`${url.href}: its weights are stored as external data; save them inside the .onnx file`);
  const meta = onnxMetadata(network, url.href);
  const layout = options.layout ?? meta.layout ?? inputLayout(network);
  if (layout === undefined)
    throw new Error(`${url.href}: cannot tell the input layout from the graph; give the layout option`);
  const bounds = options.bounds ?? meta.bounds ?? [0, 1];
  return OnnxModel.create(network, {
    name: options.name ?? meta.name ?? url.href,
    bounds,
    preprocessing: preprocessingOf(options.preprocessing ?? meta.preprocessing, bounds),
    labels: options.labels ?? meta.labels,
    outputOrder: options.outputOrder,
    layout,
    inputSize: options.inputSize,
  });
}
