/**
 * `exportToOnnx(spec, file)`: a model advx loads (zoo name or model.json path) written as ONNX, atomically.
 * It exports what the advx model computes after its preprocessing: LOGITS (the final softmax the model
 * wrapper strips on load is not exported), classes in the model's canonical order (a Darknet-order network
 * gets a final Gather), so that `advx.labels` name the outputs; bounds, preprocessing and labels go into the
 * file's `advx.*` metadata, so loading it needs no flags.
 */
import { resolve } from 'node:path';
import { checkOutFile, writeFileAtomically } from '../data/atomic-write.js';
import { tfjsLayersToOnnx } from '../engine/onnx/export-tfjs.js';
import { encodeModel, OPSET, type onnx } from '../engine/onnx/proto.js';
import { tf } from '../engine/tf.js';
import { loadTfjsModel, type LoadOptions } from './load.js';

export interface ExportToOnnxOptions extends LoadOptions {
  /** Replace an existing file (default: refuse). */
  force?: boolean;
}

export interface OnnxExportSummary {
  /** advx's name of the model. */
  model: string;
  /** Absolute path of the written .onnx. */
  path: string;
  bytes: number;
  nodes: number;
  initializers: number;
  opset: number;
  inputs: { name: string; shape: (number | string)[] }[];
  outputs: { name: string; shape: (number | string)[] }[];
}

function describe(infos: onnx.IValueInfoProto[]): OnnxExportSummary['inputs'] {
  return infos.map((info) => ({
    name: info.name ?? '',
    shape: (info.type?.tensorType?.shape?.dim ?? []).map((d) => d.dimParam ?? Number(d.dimValue)),
  }));
}

/** Runs `convert`, prefixing its error message with the model spec (which model could not be exported). */
function withModelName<T>(modelSpec: string, convert: () => T): T {
  try {
    return convert();
  } catch (error) {
    throw new Error(`${modelSpec}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Loads `modelSpec` (zoo name or model.json path, as `loadModel` takes it) and writes its network as ONNX
 * to `outFile` (atomically; an existing file is refused unless `force`), with the model's name, bounds,
 * preprocessing and labels as metadata. The output is the logits (see the file comment).
 */
export async function exportToOnnx(
  modelSpec: string,
  outFile: string,
  options: ExportToOnnxOptions = {},
): Promise<OnnxExportSummary> {
  const path = resolve(outFile);
  const force = options.force === true;
  checkOutFile(path, force);
  const model = await loadTfjsModel(modelSpec, options);
  try {
    const net = model.net;
    if (!(net instanceof tf.LayersModel))
      throw new Error(
        `cannot export to ONNX: ${model.name} is a graph model (only layers models are supported)`,
      );
    const proto = withModelName(modelSpec, () =>
      tfjsLayersToOnnx(net, {
        name: model.name,
        bounds: model.bounds,
        preprocessing: model.preprocessing,
        labels: model.labels,
        outputOrder: model.outputOrder,
      }),
    );
    const bytes = encodeModel(proto);
    writeFileAtomically(path, bytes, force);
    return {
      model: model.name,
      path,
      bytes: bytes.length,
      nodes: proto.graph?.node?.length ?? 0,
      initializers: proto.graph?.initializer?.length ?? 0,
      opset: OPSET,
      inputs: describe(proto.graph?.input ?? []),
      outputs: describe(proto.graph?.output ?? []),
    };
  } finally {
    model.dispose();
  }
}
