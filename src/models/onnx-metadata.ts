/**
 * What an ONNX model says of itself, without reading files (so the browser can use it too): advx's own
 * metadata (`advx.*` props, written by `advx export onnx`) and whether its one output is class scores.
 */
import type { InputLayout } from '../engine/onnx/classifier-graph.js';
import { valueInfoDims, type onnx } from '../engine/onnx/proto.js';
import { checkPreprocessing } from './advx-metadata.js';
import { printable } from './printable.js';
import type { Preprocessing, PreprocessName } from './preprocessing.js';

/**
 * Checks that the graph has one output, declared (when it declares a shape) as class scores [N,K]: more
 * dims are allowed only when all but one are 1 (e.g. [N,K,1,1]).
 */
export function checkClassifierOutput(model: onnx.IModelProto, file: string): void {
  const outputs = model.graph?.output ?? [];
  if (outputs.length !== 1) {
    const names = outputs.map((o) => `'${printable(o.name ?? '')}'`).join(', ');
    throw new Error(
      `${file}: the graph has ${outputs.length} outputs${names ? ` (${names})` : ''}; advx needs one, the class scores [N,K]`,
    );
  }
  if (outputs[0].type?.tensorType?.shape === undefined || outputs[0].type?.tensorType?.shape === null) return;
  const dims = valueInfoDims(outputs[0]);
  const perInput = dims.slice(1).filter((d) => d !== 1);
  if (dims.length < 2 || perInput.length > 1) {
    const shown = dims.map((d) => (d < 0 ? '?' : String(d))).join(',');
    throw new Error(
      `${file}: output '${printable(outputs[0].name ?? '')}' has shape [${shown}], not class scores [N,K]`,
    );
  }
}

/** What advx knows of a model from its `advx.*` metadata props. */
export interface OnnxMetadata {
  name?: string;
  bounds?: [number, number];
  preprocessing?: Preprocessing | PreprocessName;
  labels?: string[];
  layout?: InputLayout;
}

export function onnxMetadata(model: onnx.IModelProto, file: string): OnnxMetadata {
  const props = new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  const json = <T>(key: string): T | undefined => {
    const text = props.get(key);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`${file}: metadata '${key}' is not valid JSON`);
    }
  };
  const out: OnnxMetadata = {};
  if (props.has('advx.name')) out.name = props.get('advx.name');
  const bounds = props.get('advx.bounds');
  if (bounds !== undefined) {
    const parts = bounds.split(',').map(Number);
    if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0] < parts[1]))
      throw new Error(`${file}: metadata 'advx.bounds' must be "LO,HI" (got '${bounds}')`);
    out.bounds = [parts[0], parts[1]];
  }
  const pre = props.get('advx.preprocessing');
  if (pre !== undefined)
    out.preprocessing = checkPreprocessing(
      /^[a-z]+$/.test(pre) ? pre : json('advx.preprocessing'),
      `${file}: metadata 'advx.preprocessing'`,
    );
  const labels = json<unknown>('advx.labels');
  if (labels !== undefined) {
    if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string'))
      throw new Error(`${file}: metadata 'advx.labels' must be a JSON array of names`);
    out.labels = labels as string[];
  }
  const layout = props.get('advx.layout');
  if (layout !== undefined) {
    if (layout !== 'NCHW' && layout !== 'NHWC')
      throw new Error(`${file}: metadata 'advx.layout' must be NCHW or NHWC (got '${layout}')`);
    out.layout = layout;
  }
  return out;
}
