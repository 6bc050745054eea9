/**
 * A model behind an HTTP model service (`advx serve`, or anything that speaks
 * src/models/service-protocol.ts): `loadHttpModel('http://127.0.0.1:8080/')` asks the service what it is
 * (`GET /`) and returns a black-box model whose `logits` POST the batch to `predict`, split into requests
 * under the service's batch and body limits. Its logits stand for what the service answers (`outputs`:
 * log-probabilities for scores, a one-hot-like decision for labels; see model-outputs.ts); it has no
 * gradients. Timeouts, retries and the rate limit are those of JsonClient.
 */
import { BlackBoxModel } from './black-box-model.js';
import { JsonClient, ModelServiceError, type RequestPolicy } from './json-client.js';
import { readOutputs } from './model-outputs.js';
import {
  encodePredictRequest,
  inputsPerRequest,
  readServiceInfo,
  responseField,
  type ServiceInfo,
} from './service-protocol.js';

export interface HttpModelOptions extends Partial<RequestPolicy> {
  /** The model's name (default: the service's). */
  name?: string;
  /** Inputs per request, at most the service's own limit. */
  maxBatch?: number;
}

/**
 * True for an http(s) URL of a model service; URLs of model files (`.json`, `.onnx`) are downloads, not
 * services.
 */
export function isModelServiceUrl(spec: string): boolean {
  if (!/^https?:\/\//i.test(spec)) return false;
  try {
    return !/\.(json|onnx)$/i.test(new URL(spec).pathname);
  } catch {
    return true; // an unparseable http URL: loadHttpModel says what is wrong with it
  }
}

function serviceUrl(url: string): URL {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new Error(`${url}: not a valid URL`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new Error(`${url}: a model service URL starts with http:// or https://`);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  base.search = '';
  base.hash = '';
  return base;
}

/** One predict request: the answers, checked against the batch and the service's output kind. */
async function predictRemotely(
  client: JsonClient,
  info: ServiceInfo,
  x: Float32Array,
  shape: readonly number[],
) {
  const source = new URL('predict', client.base).href;
  const answer = await client.post('predict', encodePredictRequest(x, shape));
  const field = responseField(info.output);
  const value =
    typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>)[field] : undefined;
  if (value === undefined) throw new ModelServiceError(`${source}: the answer has no "${field}"`, 'answer');
  try {
    const batch = readOutputs(value, info.output, shape[0], info.numClasses, `${source}: answer`);
    return batch.kind === 'label' ? batch.labels : batch.kind === 'topk' ? batch.top : batch.values;
  } catch (error) {
    throw new ModelServiceError((error as Error).message, 'answer');
  }
}

export class HttpModel extends BlackBoxModel {
  constructor(
    readonly url: string,
    readonly info: ServiceInfo,
    private readonly client: JsonClient,
    maxBatch: number,
    name?: string,
  ) {
    super((x, shape) => predictRemotely(client, info, x, shape), {
      name: name ?? info.name,
      engine: 'http',
      inputShape: info.inputShape,
      numClasses: info.numClasses,
      labels: info.labels,
      bounds: info.bounds,
      output: info.output,
      maxBatch,
      onDispose: () => client.close(),
    });
  }

  /** HTTP requests sent so far (retries included). */
  get requestsSent(): number {
    return this.client.requestsSent;
  }
}

/** Connects to the model service at `url` (its info must answer, after retries). */
export async function loadHttpModel(url: string, options: HttpModelOptions = {}): Promise<HttpModel> {
  const base = serviceUrl(url);
  const { name, maxBatch, ...policy } = options;
  if (maxBatch !== undefined && !(Number.isInteger(maxBatch) && maxBatch >= 1))
    throw new Error(`maxBatch must be an integer >= 1 (got ${maxBatch})`);
  const client = new JsonClient(base, policy);
  const info = readServiceInfo(await client.get(''), base.href);
  const [h, w, c] = info.inputShape;
  const byBody = inputsPerRequest(h * w * c, info.maxBodyBytes);
  if (byBody < 1)
    throw new Error(
      `${base.href}: the service's body limit (${info.maxBodyBytes} bytes) is too small for one input`,
    );
  return new HttpModel(base.href, info, client, Math.min(info.maxBatch, byBody, maxBatch ?? Infinity), name);
}
