import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ADVX_FOLDER_MARKER, advxFolderKind, ensureAdvxFolder, ForeignFolderError } from './advx-folder.js';

const work = mkdtempSync(join(tmpdir(), 'advx-folder-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('ensureAdvxFolder makes and marks a folder, and accepts it again', () => {
  const dir = join(work, 'samples');
  assert.equal(advxFolderKind(dir), null);
  ensureAdvxFolder(dir, 'gan-samples');
  assert.deepEqual(readdirSync(dir), [ADVX_FOLDER_MARKER]);
  assert.equal(advxFolderKind(dir), 'gan-samples');
  ensureAdvxFolder(dir, 'gan-samples');
});

test('a folder advx did not make (or made for something else), or a file, is refused and left as it was', () => {
  const users = join(work, 'checkpoint');
  mkdirSync(users);
  writeFileSync(join(users, 'notes.txt'), 'mine');
  assert.throws(
    () => ensureAdvxFolder(users, 'checkpoint'),
    (e: Error) =>
      e instanceof ForeignFolderError && /checkpoint exists and was not made by advx/.test(e.message),
  );
  assert.deepEqual(readdirSync(users), ['notes.txt']);

  const other = join(work, 'other');
  ensureAdvxFolder(other, 'gan-samples');
  assert.throws(() => ensureAdvxFolder(other, 'checkpoint'), ForeignFolderError);

  const file = join(work, 'a-file');
  writeFileSync(file, 'x');
  assert.throws(() => ensureAdvxFolder(file, 'checkpoint'), /a-file is a file, not advx's checkpoint folder/);
  assert.equal(readFileSync(file, 'utf8'), 'x');
  mkdirSync(join(work, 'garbled'));
  writeFileSync(join(work, 'garbled', ADVX_FOLDER_MARKER), '{not json');
  assert.equal(advxFolderKind(join(work, 'garbled')), null);
});
