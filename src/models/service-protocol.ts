/**
 * The model service protocol (`advx serve` and the HTTP model speak it), version 1:
 *
 * - `GET /` -> `ServiceInfo`: `{ service: 'advx-model-service', version: 1, name, engine, inputShape,
 *   bounds, numClasses, labels, output, topK?, maxBatch, maxBodyBytes }`.
 * - `POST /predict` with a JSON body: `{ shape: [N,H,W,C], inputs: "<base64 of float32 little-endian,
 *   NHWC row-major>" }`, or `{ inputs: [[[[...]]]] }` as nested arrays N x H x W x C (`shape` optional),
 *   or a flat number array with `shape`. Values must be finite and inside `bounds`.
 *   Answer by `output`: `{ logits: [[...]] }`, `{ scores: [[...]] }` (softmax probabilities),
 *   `{ labels: [...] }`, or `{ topk: [[{ index, p }, ...]] }` (the `topK` most probable classes).
 * - Errors: a status and `{ error: "<one line>" }`: 400 bad request (JSON, shape, values, batch over
 *   `maxBatch`), 404 unknown path, 405 wrong method, 413 body over `maxBodyBytes`, 500 model failure,
 *   503 shutting down.
 */
import { MODEL_OUTPUTS, type ModelOutput, type OutputBatch } from './model-outputs.js';

export const SERVICE_NAME = 'advx-model-service';
export const PROTOCOL_VERSION = 1;

export interface ServiceInfo {
  service: typeof SERVICE_NAME;
  version: number;
  name: string;
  engine: string;
  inputShape: [number, number, number];
  bounds: [number, number];
  numClasses: number;
  labels: string[];
  output: ModelOutput;
  /** Classes per answer when `output` is `topk`. */
  topK?: number;
  maxBatch: number;
  maxBodyBytes: number;
}

/** A request the service refuses: the HTTP status and a one-line reason. */
export class ServiceRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const BOUNDS_TOLERANCE = 1e-5;
/** Room for the JSON around the base64 inputs of a predict request. */
const REQUEST_OVERHEAD_BYTES = 256;

const isPositiveInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/** Checks a `GET /` answer; anything else than an advx model service throws one line naming `source`. */
export function readServiceInfo(value: unknown, source: string): ServiceInfo {
  const info = (value ?? {}) as Partial<Record<keyof ServiceInfo, unknown>>;
  if (typeof value !== 'object' || info.service !== SERVICE_NAME)
    throw new Error(`${source}: not an advx model service (GET / gave no "service": "${SERVICE_NAME}")`);
  if (info.version !== PROTOCOL_VERSION)
    throw new Error(`${source}: protocol version ${String(info.version)}, advx speaks ${PROTOCOL_VERSION}`);
  const shape = info.inputShape;
  const bounds = info.bounds;
  const problems: string[] = [];
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every(isPositiveInteger))
    problems.push('inputShape [H,W,C]');
  if (!Array.isArray(bounds) || bounds.length !== 2 || !(bounds[0] < bounds[1]))
    problems.push('bounds [LO,HI]');
  if (!isPositiveInteger(info.numClasses)) problems.push('numClasses');
  if (!Array.isArray(info.labels) || info.labels.length !== info.numClasses)
    problems.push('labels (one a class)');
  if (!MODEL_OUTPUTS.includes(info.output as ModelOutput))
    problems.push(`output (${MODEL_OUTPUTS.join('|')})`);
  if (info.output === 'topk' && !isPositiveInteger(info.topK)) problems.push('topK');
  if (!isPositiveInteger(info.maxBatch)) problems.push('maxBatch');
  if (!isPositiveInteger(info.maxBodyBytes)) problems.push('maxBodyBytes');
  if (problems.length > 0)
    throw new Error(`${source}: the service info lacks a valid ${problems.join(', ')}`);
  return {
    ...(info as ServiceInfo),
    name: typeof info.name === 'string' ? info.name : 'http-model',
    engine: typeof info.engine === 'string' ? info.engine : 'unknown',
    labels: (info.labels as unknown[]).map(String),
  };
}

/** The JSON body of a predict request: base64 float32, the compact form. */
export function encodePredictRequest(data: Float32Array, shape: readonly number[]): string {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return JSON.stringify({ shape, inputs: bytes.toString('base64') });
}

/** How many inputs of `inputSize` values fit in one base64 predict request under `maxBodyBytes`. */
export function inputsPerRequest(inputSize: number, maxBodyBytes: number): number {
  const base64Chars = maxBodyBytes - REQUEST_OVERHEAD_BYTES;
  return Math.max(0, Math.floor(((base64Chars / 4 - 1) * 3) / (inputSize * 4)));
}

const bad = (message: string) => new ServiceRequestError(400, message);

/** Flattens nested arrays of the given dims (row-major), or throws naming the first place that differs. */
function flattenNested(value: unknown, dims: readonly number[], out: Float32Array): void {
  let offset = 0;
  const walk = (node: unknown, depth: number, path: string) => {
    if (depth === dims.length) {
      if (typeof node !== 'number') throw bad(`inputs${path} is not a number`);
      out[offset++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== dims[depth])
      throw bad(`inputs${path} must be an array of ${dims[depth]} (shape [${dims}])`);
    node.forEach((child, i) => walk(child, depth + 1, `${path}[${i}]`));
  };
  walk(value, 0, '');
}

/** Dims of nested arrays, following the first element at each level. */
function nestedDims(value: unknown): number[] {
  const dims: number[] = [];
  for (let node = value; Array.isArray(node); node = node[0]) dims.push(node.length);
  return dims;
}

/**
 * Reads a predict request body (parsed JSON) for a service of `info`: the batch as NHWC float32 and its
 * shape. Bad requests throw a ServiceRequestError (400) that names the problem.
 */
export function decodePredictRequest(
  body: unknown,
  info: Pick<ServiceInfo, 'inputShape' | 'bounds' | 'maxBatch'>,
): { data: Float32Array; shape: [number, number, number, number] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw bad('the body must be a JSON object {shape, inputs}');
  const { inputs, shape: given } = body as { inputs?: unknown; shape?: unknown };
  if (inputs === undefined) throw bad('the body has no "inputs"');
  if (given !== undefined && (!Array.isArray(given) || given.length !== 4 || !given.every(isPositiveInteger)))
    throw bad('"shape" must be [N,H,W,C] with positive integers');
  const nested = Array.isArray(inputs) && Array.isArray(inputs[0]);
  const shape = (given as number[] | undefined) ?? (nested ? nestedDims(inputs) : undefined);
  if (shape === undefined) throw bad('give "shape" [N,H,W,C] with base64 or flat inputs');
  const [h, w, c] = info.inputShape;
  if (shape.length !== 4 || shape[1] !== h || shape[2] !== w || shape[3] !== c)
    throw bad(`inputs have shape [${shape}], the model takes [N,${h},${w},${c}]`);
  const n = shape[0];
  if (!isPositiveInteger(n)) throw bad('the batch is empty');
  if (n > info.maxBatch)
    throw bad(`a batch of ${n} is over this service's limit of ${info.maxBatch} (maxBatch)`);
  const length = n * h * w * c;
  let data: Float32Array;
  if (typeof inputs === 'string') {
    // the decoder skips characters outside base64, so a string of the right length that decodes to the
    // right number of bytes is base64 (with padding)
    const bytes = Buffer.from(inputs, 'base64');
    if (bytes.length !== length * 4 || inputs.length !== Math.ceil((length * 4) / 3) * 4) {
      const what = bytes.length === length * 4 ? 'is not padded base64' : `holds ${bytes.length} bytes`;
      throw bad(`"inputs" ${what}: shape [${shape}] needs ${length * 4} bytes of float32 in base64`);
    }
    data = new Float32Array(length);
    new Uint8Array(data.buffer).set(bytes);
  } else if (nested) {
    data = new Float32Array(length);
    flattenNested(inputs, shape, data);
  } else if (
    Array.isArray(inputs) &&
    inputs.length === length &&
    inputs.every((v) => typeof v === 'number')
  ) {
    data = Float32Array.from(inputs as number[]);
  } else {
    throw bad(`"inputs" must be base64 float32, nested arrays [N][H][W][C], or ${length} numbers`);
  }
  const [lo, hi] = info.bounds;
  const [min, max] = [lo - BOUNDS_TOLERANCE, hi + BOUNDS_TOLERANCE];
  for (let i = 0; i < length; i++) {
    if (!(data[i] >= min && data[i] <= max))
      throw bad(`input value ${data[i]} at offset ${i} is outside the bounds [${lo}, ${hi}]`);
  }
  return { data, shape: [n, h, w, c] };
}

/** Rows of a row-major `[N,K]` matrix, as plain numbers. */
function rows(values: ArrayLike<number>, numClasses: number): number[][] {
  const out: number[][] = [];
  for (let start = 0; start < values.length; start += numClasses)
    out.push(Array.from({ length: numClasses }, (_, j) => values[start + j]));
  return out;
}

/** The JSON answer to a predict request. */
export function predictResponse(batch: OutputBatch, numClasses: number): Record<string, unknown> {
  switch (batch.kind) {
    case 'logits':
      return { logits: rows(batch.values, numClasses) };
    case 'scores':
      return { scores: rows(batch.values, numClasses) };
    case 'label':
      return { labels: batch.labels };
    case 'topk':
      return { topk: batch.top };
  }
}

/** The field of a predict answer that holds answers of kind `output`. */
export function responseField(output: ModelOutput): string {
  return output === 'label' ? 'labels' : output;
}
