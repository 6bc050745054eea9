/**
 * Reading an .onnx file safely: the bytes must decode as an ONNX model; tensors stored as external data
 * are read from files that must stay inside the model's folder (the real path, after symlinks) and must
 * hold the bytes they declare; advx's own metadata (`advx.*` props, written by `advx export onnx`,
 * onnx-metadata.ts) and a labels sidecar are read beside it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decodeModel, onnx, toNumber } from '../engine/onnx/proto.js';
import { resolveInside, type OutsideReason } from './inside-folder.js';
import { checkClassifierOutput } from './onnx-metadata.js';
import { printable } from './printable.js';

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

/** Reads and decodes an .onnx file, with its external data inlined; its output must be class scores. */
export function readOnnxFile(file: string): onnx.ModelProto {
  if (!existsSync(file)) throw new Error(`${file}: no such file`);
  if (!statSync(file).isFile()) throw new Error(`${file}: not a file`);
  const model = decodeModel(readFileSync(file), file);
  checkClassifierOutput(model, file);
  inlineExternalData(model, file);
  return model;
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
