import assert from 'node:assert/strict';
import {
  chmodSync,
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
import {
  createFreshFolder,
  openFreshOutputFolder,
  openOutputFile,
  openOutputFolder,
  OutputFolderError,
} from './output-folder.js';

const work = mkdtempSync(join(tmpdir(), 'advx-out-folder-'));
after(() => {
  chmodSync(work, 0o755);
  rmSync(work, { recursive: true, force: true });
});

function oneLine(pattern: RegExp): (e: Error) => boolean {
  return (e) => e instanceof OutputFolderError && pattern.test(e.message) && !e.message.includes('\n');
}

test('openOutputFolder creates the folder and locks it; released unused, the folders it made are removed again', () => {
  const dir = join(work, 'a', 'b', 'c');
  const out = openOutputFolder(dir);
  assert.equal(out.path, dir);
  assert.deepEqual(readdirSync(dir), ['.advx-lock']);
  out.release();
  assert.ok(!existsSync(join(work, 'a')), 'the empty folders this run made are gone');

  const used = openOutputFolder(dir);
  writeFileSync(join(dir, 'result.csv'), 'x');
  used.release();
  assert.deepEqual(readdirSync(dir), ['result.csv'], 'a folder with outputs stays, without the lock');
});

test('a bad --out is one line naming the path and the problem, and nothing is created', () => {
  const file = join(work, 'a-file');
  writeFileSync(file, 'user data');
  assert.throws(() => openOutputFolder(file), oneLine(/^--out: .*a-file exists and is not a folder$/));
  assert.throws(
    () => openOutputFolder(join(file, 'x', 'y')),
    oneLine(/^--out: cannot create .*a-file\/x\/y: .*a-file is a file, not a folder$/),
  );
  assert.throws(
    () => openOutputFile(join(file, 'report.html')),
    oneLine(/^--out: cannot create .*a-file\/report\.html: .*a-file is a file, not a folder$/),
  );
  assert.throws(() => openOutputFile(work), oneLine(/^--out: .* is a folder; give a file name$/));
  assert.equal(readFileSync(file, 'utf8'), 'user data');
});

test('a place that cannot be written is refused before any work (one line, the reason in words)', () => {
  // As root, permissions do not stop a write: /proc does. Otherwise a folder without write permission.
  const root = process.getuid?.() === 0;
  const parent = root ? '/proc' : join(work, 'read-only');
  if (!root) {
    mkdirSync(parent);
    chmodSync(parent, 0o555);
  }
  assert.throws(
    () => openOutputFolder(join(parent, 'advx-out-test')),
    oneLine(
      /^--out: cannot create .*advx-out-test \((permission denied|no such file or folder|operation not permitted)\)$/,
    ),
  );
  assert.throws(
    () => openOutputFile(join(parent, 'report.html')),
    oneLine(
      /^--out: cannot write in .* \((permission denied|no such file or folder|operation not permitted)\)$/,
    ),
  );
  assert.ok(!existsSync(join(parent, 'advx-out-test')));
});

test('existing outputs are refused without force (the lock is given back); with force the folder is opened', () => {
  const dir = join(work, 'outputs');
  mkdirSync(dir);
  writeFileSync(join(dir, 'table.csv'), 'user table');
  assert.throws(
    () => openOutputFolder(dir, { files: ['table.csv', 'plot.png'] }),
    (e: Error) =>
      e.message ===
      `${join(dir, 'table.csv')} exists; refusing to overwrite it (use --force or another --out)`,
  );
  assert.deepEqual(readdirSync(dir), ['table.csv'], 'no lock left behind');
  const forced = openOutputFolder(dir, { files: ['table.csv'], force: true });
  forced.release();
  assert.equal(readFileSync(join(dir, 'table.csv'), 'utf8'), 'user table');

  const report = join(dir, 'table.csv');
  assert.throws(() => openOutputFile(report), /table\.csv exists; refusing to overwrite it/);
  const file = openOutputFile(report, { force: true });
  assert.ok(existsSync(join(dir, '.table.csv.advx-lock')));
  file.release();
  assert.deepEqual(readdirSync(dir), ['table.csv']);
});

test('fresh folders are made exclusively: the same stem twice gives two folders; an unused one is removed', () => {
  const parent = join(work, 'advx-out');
  const first = createFreshFolder(parent, '20240101-120000');
  const second = openFreshOutputFolder(parent, '20240101-120000');
  assert.equal(first, join(parent, '20240101-120000'));
  assert.equal(second.shown, join(parent, '20240101-120000-2'));
  second.release();
  assert.deepEqual(readdirSync(parent), ['20240101-120000']);
});
