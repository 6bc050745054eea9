/**
 * `serveUi(options)`: the page of `advx ui` (built by vite into dist/ui) and the model files it names, as
 * a static HTTP server. Node only. It binds to loopback unless told otherwise and answers GET and HEAD for
 * an exact list of paths fixed at start (the page's files, `models.json`, each served model's files, and
 * onnxruntime-web's when it is installed: onnx-models.ts), so no request can reach another file.
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, relative, sep } from 'node:path';
import { packageRoot } from '../data/locations.js';
import { servedModels, type ServedModels } from './catalog.js';
import { withOnnxModels } from './onnx-models.js';

export interface UiServerOptions {
  /** Interface to bind (default 127.0.0.1: this machine only). */
  host?: string;
  /** TCP port (default 0: a free port, see `url`). */
  port?: number;
  /** The built page (default: the package's dist/ui). */
  pageDir?: string;
  /** The models to serve (default: the zoo models on this machine, and the ONNX one: onnx-models.ts). */
  models?: ServedModels;
}

export interface UiServer {
  /** `http://HOST:PORT/`, with the port actually bound. */
  readonly url: string;
  readonly models: ServedModels;
  close(): Promise<void>;
}

export function defaultPageDir(): string {
  return join(packageRoot, 'dist', 'ui');
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** Every file under `dir`, by URL path relative to it ('/'-separated). */
function filesUnder(dir: string): Map<string, string | Uint8Array> {
  const out = new Map<string, string | Uint8Array>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.set(relative(dir, full).split(sep).join('/'), full);
    }
  };
  walk(dir);
  return out;
}

function pageFiles(pageDir: string): Map<string, string | Uint8Array> {
  if (!existsSync(join(pageDir, 'index.html')))
    throw new Error(`the page is not built (${join(pageDir, 'index.html')} is missing): run npm run build`);
  return filesUnder(pageDir);
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `cannot serve on ${host}:${port}`;
  if (error.code === 'EADDRINUSE') return new Error(`${where}: the port is in use`);
  if (error.code === 'EACCES') return new Error(`${where}: permission denied`);
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND')
    return new Error(`${where}: ${host} is not an address of this machine`);
  return new Error(`${where}: ${error.message}`);
}

/** The path of a request URL without its leading '/', or null when it cannot be decoded. */
function requestPath(req: IncomingMessage): string | null {
  try {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname).slice(1);
    return path === '' ? 'index.html' : path;
  } catch {
    return null;
  }
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  res.end(text + '\n');
}

export async function serveUi(options: UiServerOptions = {}): Promise<UiServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const models = options.models ?? (await withOnnxModels(servedModels()));
  const routes = pageFiles(options.pageDir ?? defaultPageDir());
  for (const [path, file] of models.files) routes.set(path, file);
  const catalog = Buffer.from(JSON.stringify(models.catalog));

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendText(res, 405, 'method not allowed');
    }
    const path = requestPath(req);
    const head = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' };
    if (path === 'models.json') {
      res.writeHead(200, {
        ...head,
        'content-type': CONTENT_TYPES['.json'],
        'content-length': catalog.length,
      });
      res.end(req.method === 'HEAD' ? undefined : catalog);
      return;
    }
    const file = path === null ? undefined : routes.get(path);
    if (path === null || file === undefined) return sendText(res, 404, 'not found');
    const type = CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
    const size = typeof file === 'string' ? statSync(file).size : file.length;
    res.writeHead(200, { ...head, 'content-type': type, 'content-length': size });
    if (req.method === 'HEAD') return void res.end();
    if (typeof file !== 'string') return void res.end(file);
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(listenError(error, host, port)));
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host.replace(/^\[|\]$/g, '')}]` : host}:${bound}/`;
  let closed: Promise<void> | null = null;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closed;
  };
  return { url, models, close };
}
