/**
 * Reading an .onnx file safely: the bytes must decode as an ONNX model; tensors stored as external data
 * are read from files that must stay inside the model's folder (the real path, after symlinks) and must
 * hold the bytes they declare; advx's own metadata (`advx.*` props, written by `advx export onnx`) and a
 * labels sidecar are read beside it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decodeModel, onnx, toNumber, valueInfoDims } from '../engine/onnx/proto.js';
import type { InputLayout } from '../engine/onnx/classifier-graph.js';
import { checkPreprocessing } from './advx-metadata.js';
import { resolveInside, type OutsideReason } from './inside-folder.js';
import { printable } from './printable.js';
import type { Preprocessing, PreprocessName } from './preprocessing.js';

const OUTSIDE: Record<OutsideReason, string> = {
  'not relative': 'is not a relative file name',
  escapes: "lies outside the model's folder",
  'links outside': "lies outside the model's folder (through a symbolic link)",
};

function externalEntry(tensor: onnx.ITensorProto, key: string): string | undefined {
  return (tensor.externalData ?? []).find((e) => e.key === key)?.value ?? undefined;
}

/** Replaces every external-data tensor of `model` by its bytes, read from inside `folder`. */
function inlineExternalData(model: onnx.ModelProto, file: string): void {
  const folder = dirname(file);
  const tensors: onnx.ITensorProto[] = [...(model.graph?.initializer ?? [])];
  for (const node of model.graph?.node ?? [])
    for (const a of node.attribute ?? []) if (a.t) tensors.push(a.t);
  const cache = new Map<string, Buffer>();
  for (const tensor of tensors) {
    if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const location = externalEntry(tensor, 'location');
    if (location === undefined || location === '')
      throw new Error(`${file}: tensor '${printable(tensor.name ?? '')}' names no external data file`);
    const target = resolveInside(
      folder,
      location,
      (reason) =>
        new Error(
          `${file}: external data '${printable(location)}' of tensor '${printable(tensor.name ?? '')}' ${OUTSIDE[reason]}`,
        ),
    );
    if (!existsSync(target))
      throw new Error(
        `${file}: external data '${printable(location)}' of tensor '${printable(tensor.name ?? '')}' is missing`,
      );
    let bytes = cache.get(target);
    if (bytes === undefined) {
      if (!statSync(target).isFile())
        throw new Error(`${file}: external data '${printable(location)}' is not a file`);
      bytes = readFileSync(target);
      cache.set(target, bytes);
    }
    const offset = Number(externalEntry(tensor, 'offset') ?? 0);
    const declared = externalEntry(tensor, 'length');
    const count = (tensor.dims ?? []).reduce((a: number, d) => a * toNumber(d as number), 1);
    const length = declared === undefined ? count * 4 : Number(declared);
    if (!(offset >= 0 && length >= 0 && offset + length <= bytes.length)) {
      throw new Error(
        `${file}: external data '${printable(location)}' holds ${bytes.length} bytes; tensor '${printable(tensor.name ?? '')}' needs ${offset}+${length}`,
      );
    }
    tensor.rawData = new Uint8Array(bytes.subarray(offset, offset + length));
    tensor.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    tensor.externalData = [];
  }
}

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

/** Reads and decodes an .onnx file, with its external data inlined; its output must be class scores. */
export function readOnnxFile(file: string): onnx.ModelProto {
  if (!existsSync(file)) throw new Error(`${file}: no such file`);
  if (!statSync(file).isFile()) throw new Error(`${file}: not a file`);
  const model = decodeModel(readFileSync(file), file);
  checkClassifierOutput(model, file);
  inlineExternalData(model, file);
  return model;
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

/** Class names from a file: one per line (blank lines ignored), or a JSON array. */
export function readLabelsFile(file: string): string[] {
  if (!existsSync(file)) throw new Error(`${file}: no such labels file`);
  const text = readFileSync(file, 'utf8');
  if (text.trimStart().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${file}: not a valid JSON array of class names`);
    }
    if (!Array.isArray(parsed) || !parsed.every((l) => typeof l === 'string'))
      throw new Error(`${file}: not a JSON array of class names`);
    return parsed as string[];
  }
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length < 2) throw new Error(`${file}: needs at least two class names, one per line`);
  return lines;
}

/** The labels sidecar of `model.onnx`: `model.labels.txt`, `model.labels.json` or `labels.txt` beside it. */
export function labelsSidecar(file: string): string | undefined {
  const stem = basename(file).replace(/\.onnx$/i, '');
  const folder = dirname(file);
  return [`${stem}.labels.txt`, `${stem}.labels.json`, 'labels.txt', 'labels.json']
    .map((name) => join(folder, name))
    .find((candidate) => existsSync(candidate));
}
