/**
 * `serveModel(model, options)`: any advx model as a small HTTP JSON service (the protocol is in
 * service-protocol.ts). Node only. It binds to loopback unless told otherwise, refuses bodies over
 * `maxBodyBytes` (413) and batches over `maxBatch` (400) with a JSON error, runs one prediction at a time
 * (the engines use every core already), and `close()` stops accepting, lets requests in flight finish
 * (up to `closeGraceMs`), then closes every connection.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tf } from '../engine/tf.js';
import type { Model } from './model.js';
import { canAnswer, MODEL_OUTPUTS, outputsOf, outputsOfLogits, type ModelOutput } from './model-outputs.js';
import {
  decodePredictRequest,
  predictResponse,
  PROTOCOL_VERSION,
  SERVICE_NAME,
  ServiceRequestError,
  type ServiceInfo,
} from './service-protocol.js';

export interface ServeOptions {
  /** Interface to bind (default 127.0.0.1: this machine only). */
  host?: string;
  /** TCP port (default 0: a free port, see `url`). */
  port?: number;
  /** What the service answers (default scores: softmax probabilities). */
  output?: ModelOutput;
  /** Classes per answer for `output: 'topk'` (default 5). */
  topK?: number;
  /** Largest batch one request may carry (default 128). */
  maxBatch?: number;
  /** Largest request body in bytes (default 64 MiB). */
  maxBodyBytes?: number;
  /** How long `close()` waits for requests in flight, in ms (default 10 s). */
  closeGraceMs?: number;
}

export interface ServerStats {
  /** Predict requests answered. */
  predictions: number;
  /** Inputs in those requests. */
  inputs: number;
  /** Requests refused (4xx). */
  rejected: number;
  /** Requests the model failed on (5xx). */
  failed: number;
}

export interface ModelServer {
  /** `http://HOST:PORT/`, with the port actually bound. */
  readonly url: string;
  readonly info: ServiceInfo;
  stats(): ServerStats;
  /** Stops accepting, finishes requests in flight, closes connections. The model stays the caller's. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_BATCH = 128;
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
const DRAIN_MS = 1000;

/** True for names and addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function checkInteger(value: number, what: string, min: number, max = Infinity): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${what} must be an integer in [${min}, ${max}] (got ${value})`);
}

function serviceInfo(model: Model, options: ServeOptions): ServiceInfo {
  const output = options.output ?? 'scores';
  if (!MODEL_OUTPUTS.includes(output))
    throw new Error(`output must be one of ${MODEL_OUTPUTS.join(', ')} (got ${output})`);
  const available = outputsOf(model);
  if (!canAnswer(available, output))
    throw new Error(`model ${model.name} only answers ${available}: it cannot serve ${output}`);
  const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  checkInteger(maxBatch, 'maxBatch', 1);
  checkInteger(maxBodyBytes, 'maxBodyBytes', 1);
  const info: ServiceInfo = {
    service: SERVICE_NAME,
    version: PROTOCOL_VERSION,
    name: model.name,
    engine: String(model.engine),
    inputShape: [...model.inputShape],
    bounds: [...model.bounds],
    numClasses: model.numClasses,
    labels: [...model.labels],
    output,
    maxBatch,
    maxBodyBytes,
  };
  if (output === 'topk') {
    info.topK = options.topK ?? Math.min(5, model.numClasses);
    checkInteger(info.topK, 'topK', 1, model.numClasses);
  }
  return info;
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `cannot serve on ${host}:${port}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return new Error(`${where}: the port is in use`);
    case 'EACCES':
      return new Error(`${where}: permission denied (ports below 1024 need privileges)`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new Error(`${where}: ${host} is not an address of this machine`);
    default:
      return new Error(`${where}: ${error.message}`);
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(json)),
    ...headers,
  });
  res.end(json);
}

/** The request body, or a 413 as soon as it is known to be over `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = (what: string) =>
    new ServiceRequestError(413, `${what} is over this service's limit of ${limit} bytes (maxBodyBytes)`);
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(tooLarge(`a body of ${declared} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      reject(tooLarge('the body'));
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new ServiceRequestError(400, 'the request was cut off'));
    });
  });
}

export async function serveModel(model: Model, options: ServeOptions = {}): Promise<ModelServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  checkInteger(port, 'port', 0, 65535);
  const info = serviceInfo(model, options);
  const graceMs = options.closeGraceMs ?? 10_000;
  const stats: ServerStats = { predictions: 0, inputs: 0, rejected: 0, failed: 0 };
  let queue: Promise<unknown> = Promise.resolve();
  let inFlight = 0;
  let closing = false;
  let settled: () => void = () => {};

  /** Runs `task` after the predictions before it: one at a time. */
  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };

  const logitsOf = (data: Float32Array, shape: [number, number, number, number]) =>
    exclusive(async () => {
      const x = tf.tensor4d(data, shape);
      try {
        const logits = await model.logits(x);
        try {
          return (await logits.data()) as Float32Array;
        } finally {
          logits.dispose();
        }
      } finally {
        x.dispose();
      }
    });

  const predict = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req, info.maxBodyBytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new ServiceRequestError(400, 'the body is not JSON');
    }
    const { data, shape } = decodePredictRequest(parsed, info);
    let logits: Float32Array;
    try {
      logits = await logitsOf(data, shape);
    } catch (error) {
      throw new ServiceRequestError(
        500,
        `model ${model.name} failed: ${(error as Error).message.split('\n')[0]}`,
      );
    }
    const answer = outputsOfLogits(logits, shape[0], info.numClasses, info.output, info.topK);
    stats.predictions++;
    stats.inputs += shape[0];
    send(res, 200, predictResponse(answer, info.numClasses), closing ? { connection: 'close' } : {});
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (closing) throw new ServiceRequestError(503, 'the service is shutting down');
    if (path === '/' || path === '/predict') {
      const method = path === '/' ? 'GET' : 'POST';
      if (req.method !== method) {
        res.setHeader('allow', method);
        throw new ServiceRequestError(405, `${path} takes ${method} (got ${req.method})`);
      }
      return path === '/' ? send(res, 200, info) : predict(req, res);
    }
    throw new ServiceRequestError(404, `no such path ${path} (GET / for the model, POST /predict)`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    try {
      await route(req, res);
    } catch (error) {
      const status = error instanceof ServiceRequestError ? error.status : 500;
      if (status >= 500) stats.failed++;
      else stats.rejected++;
      const unread = !req.complete;
      send(
        res,
        status,
        { error: (error as Error).message },
        unread || closing ? { connection: 'close' } : {},
      );
      if (unread) {
        // let the client read the answer while the rest of its body drains, then cut it off
        req.resume();
        setTimeout(() => req.socket.destroy(), DRAIN_MS).unref();
      }
    } finally {
      inFlight--;
      if (closing && inFlight === 0) settled();
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(listenError(error, host, port)));
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host.replace(/^\[|\]$/g, '')}]` : host}:${bound}/`;

  let closed: Promise<void> | null = null;
  const close = () => {
    closed ??= (async () => {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => (settled = resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
        ]);
        clearTimeout(timer);
      }
      server.closeAllConnections();
      await stopped;
    })();
    return closed;
  };

  return { url, info, stats: () => ({ ...stats }), close };
}
