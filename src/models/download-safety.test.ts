/**
 * Model downloads from servers that misbehave, on real HTTP over loopback: silence (connect and idle
 * timeouts), a body that stops short, sizes above the limits (declared, or only counted while streaming),
 * redirects (weights are fetched relative to the final URL; a weight redirected, or resolving, outside
 * the model's URL folder is refused), and partial folders of killed downloads cleaned up.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { writeTinyLayersModel } from './bad-models-testing.js';
import { downloadModel, type DownloadOptions } from './download.js';
import { loadModel } from './load.js';

const work = mkdtempSync(join(tmpdir(), 'advx-download-'));
const modelDir = join(work, 'model');
let modelJson: Buffer;
let weights: Buffer;
const servers: Server[] = [];
const sockets = new Set<Socket>();
let base = '';
let otherBase = '';
const FAST: DownloadOptions = { connectTimeoutMs: 300, idleTimeoutMs: 300 };

type Route = (req: IncomingMessage, res: ServerResponse) => void;
const routes: Record<string, Route> = {};

/** model.json with its weights paths replaced. */
function withPaths(paths: string[]): Buffer {
  const json = JSON.parse(modelJson.toString('utf8')) as { weightsManifest: { paths: string[] }[] };
  json.weightsManifest[0].paths = paths;
  return Buffer.from(JSON.stringify(json));
}

async function listen(handler: Route): Promise<string> {
  const server = createServer(handler);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

before(async () => {
  await initEngine();
  await writeTinyLayersModel(modelDir);
  modelJson = readFileSync(join(modelDir, 'model.json'));
  weights = readFileSync(join(modelDir, 'weights.bin'));
  const send = (body: Buffer) => (_req: IncomingMessage, res: ServerResponse) => void res.end(body);
  Object.assign(routes, {
    '/real/model.json': send(modelJson),
    '/real/weights.bin': send(weights),
    '/moved/model.json': (_req, res) => void res.writeHead(302, { location: '/real/model.json' }).end(),
    '/hang/model.json': () => undefined, // never answers
    '/stall/model.json': (_req, res) => {
      res.writeHead(200, { 'content-length': String(modelJson.length) });
      res.write(modelJson.subarray(0, 10)); // then silence
    },
    '/cut/model.json': (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(500, 32));
      setTimeout(() => res.socket?.destroy(), 20);
    },
    '/huge/model.json': (_req, res) => {
      res.writeHead(200, { 'content-length': String(2 * 2 ** 30) });
      res.write('{"modelTopology":');
    },
    '/endless/model.json': (_req, res) => {
      res.writeHead(200); // chunked, no length: counted while streaming
      const chunk = Buffer.alloc(64 * 1024, 32);
      const pump = () => {
        while (res.write(chunk));
        res.once('drain', pump);
      };
      pump();
    },
    '/escape/model.json': send(withPaths(['..\\real\\weights.bin'])),
    '/dots/model.json': send(withPaths(['%2e%2e/real/weights.bin'])),
    '/bounce/model.json': send(withPaths(['weights.bin'])),
    '/bounce/weights.bin': (_req, res) =>
      void res.writeHead(302, { location: `${otherBase}/bounce/weights.bin` }).end(),
    '/inside/model.json': send(withPaths(['weights.bin'])),
    '/inside/weights.bin': (_req, res) => void res.writeHead(307, { location: '/inside/shards/w.bin' }).end(),
    '/inside/shards/w.bin': send(weights),
  } satisfies Record<string, Route>);
  base = await listen((req, res) => {
    const route = routes[(req.url ?? '').split('?')[0]];
    if (route === undefined) res.writeHead(404).end();
    else route(req, res);
  });
  otherBase = await listen((_req, res) => void res.end(weights));
});

after(() => {
  for (const socket of sockets) socket.destroy();
  for (const server of servers) server.close();
  rmSync(work, { recursive: true, force: true });
});

let caches = 0;
const freshCache = () => join(work, `cache${caches++}`);

/** Rejects with one line matching `pattern`, and leaves nothing in the cache's models folder. */
async function refused(url: string, pattern: RegExp, options: DownloadOptions = FAST): Promise<number> {
  const cacheDir = freshCache();
  const started = performance.now();
  await assert.rejects(downloadModel(url, cacheDir, options), (error: Error) => {
    assert.doesNotMatch(error.message, /\n/);
    assert.match(error.message, pattern);
    return true;
  });
  const left = existsSync(join(cacheDir, 'models')) ? readdirSync(join(cacheDir, 'models')) : [];
  assert.deepEqual(left, [], 'no partial or complete folder left behind');
  return performance.now() - started;
}

test('weights are fetched relative to the final URL of model.json (after its redirect)', async () => {
  const model = await loadModel(`${base}/moved/model.json`, { cacheDir: freshCache(), engine: 'tfjs' });
  assert.equal(model.numClasses, 3);
  model.dispose();
});

test('a server that never answers, or stops sending, times out instead of hanging', async () => {
  const hang = await refused(`${base}/hang/model.json`, /\/hang\/model.json: no response within 0.3 s$/);
  assert.ok(hang < 5000, `${hang} ms`);
  const stall = await refused(
    `${base}/stall/model.json`,
    new RegExp(
      `/stall/model.json: download ended after 10 of ${modelJson.length} bytes \\(download stalled: no data for 0.3 s\\)$`,
    ),
  );
  assert.ok(stall < 5000, `${stall} ms`);
});

test('a body that stops short says how much of it came', async () => {
  await refused(
    `${base}/cut/model.json`,
    /\/cut\/model.json: download ended after 500 of 1000 bytes \(connection lost: .+\)$/,
  );
});

test('sizes above the limits are refused from Content-Length, or while streaming when none is sent', async () => {
  await refused(
    `${base}/huge/model.json`,
    /\/huge\/model.json: 2.0 GiB is more than the download limit of 32.0 MiB \(maxModelJsonBytes\)$/,
  );
  await refused(
    `${base}/endless/model.json`,
    /\/endless\/model.json: the body \(over 1.0 MiB\) is more than the download limit of 1.0 MiB \(maxModelJsonBytes\)$/,
    { ...FAST, maxModelJsonBytes: 2 ** 20 },
  );
  await refused(
    `${base}/real/model.json`,
    /\/real\/weights.bin: \d+ bytes is more than the download limit of \d+ bytes \(maxModelBytes, for all files of the model\)$/,
    { ...FAST, maxModelBytes: modelJson.length + 100 },
  );
});

test('weights that resolve or redirect outside the model URL folder are refused; redirects inside are followed', async () => {
  await refused(
    `${base}/escape/model.json`,
    /'\.\.\\real\\weights.bin' resolves to http:\/\/127.0.0.1:\d+\/real\/weights.bin, outside the model's folder http:\/\/127.0.0.1:\d+\/escape\/$/,
  );
  await refused(
    `${base}/dots/model.json`,
    /'%2e%2e\/real\/weights.bin' resolves to .*\/real\/weights.bin, outside the model's folder/,
  );
  await refused(
    `${base}/bounce/model.json`,
    new RegExp(`'weights.bin' redirects to ${otherBase}/bounce/weights.bin, outside the model's folder`),
  );
  const dir = await downloadModel(`${base}/inside/model.json`, freshCache(), FAST);
  assert.deepEqual(readFileSync(join(dir, 'weights.bin')), weights);
});

test('partial folders of dead processes are removed by the next download; a live one is kept', async () => {
  const cacheDir = freshCache();
  const url = `${base}/real/model.json`;
  const folder = join(cacheDir, 'models', createHash('sha256').update(url).digest('hex').slice(0, 24));
  const dead = spawnSync(process.execPath, ['-e', '']).pid as number;
  const stale = `${folder}.partial-${dead}-0000`;
  const live = `${folder}.partial-${process.pid}-1111`;
  mkdirSync(stale, { recursive: true });
  mkdirSync(live, { recursive: true });
  const dir = await downloadModel(url, cacheDir, FAST);
  assert.equal(dir, folder);
  assert.equal(existsSync(stale), false, 'the dead process partial is gone');
  assert.equal(existsSync(live), true, 'a running process partial is left alone');
  assert.deepEqual(readdirSync(join(cacheDir, 'models')).sort(), [
    `${createHash('sha256').update(url).digest('hex').slice(0, 24)}`,
    `${createHash('sha256').update(url).digest('hex').slice(0, 24)}.partial-${process.pid}-1111`,
  ]);
});

test('bad limits are one-line errors naming the option', async () => {
  await assert.rejects(
    downloadModel(`${base}/real/model.json`, freshCache(), { maxModelBytes: 0 }),
    /^Error: download: maxModelBytes must be a positive whole number of bytes \(got 0\)$/,
  );
  await assert.rejects(
    downloadModel('ftp://example.com/model.json', freshCache()),
    /only http and https URLs are downloaded/,
  );
});
