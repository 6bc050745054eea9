import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { acquireLock, fileLockPath, folderLockPath, OutputBusyError } from './output-lock.js';

const work = mkdtempSync(join(tmpdir(), 'advx-lock-'));
after(() => rmSync(work, { recursive: true, force: true }));

const MODULE = new URL('./output-lock.js', import.meta.url).href;

test('a lock file names its owner; the same process may take it again; the last release removes it', () => {
  const path = folderLockPath(work);
  const first = acquireLock(path, '--out work');
  const owner = JSON.parse(readFileSync(path, 'utf8')) as { pid: number; since: string };
  assert.equal(owner.pid, process.pid);
  const second = acquireLock(path, '--out work');
  first.release();
  first.release(); // a handle releases once
  assert.ok(existsSync(path), 'still held by the second handle');
  second.release();
  assert.ok(!existsSync(path));
  assert.equal(fileLockPath(join(work, 'report.html')), join(work, '.report.html.advx-lock'));
});

test('a lock held by another live advx process is refused with one line naming it; once that process is killed, it is taken over', async () => {
  const path = join(work, 'busy.advx-lock');
  const holder = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { acquireLock } from ${JSON.stringify(MODULE)}; acquireLock(${JSON.stringify(path)}, 'x'); console.log('locked'); setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
      holder.on('exit', (code) => reject(new Error(`the holder exited (${code})`)));
    });
    assert.throws(
      () => acquireLock(path, '--out somewhere'),
      (e: Error) =>
        e instanceof OutputBusyError &&
        e.message.startsWith(`--out somewhere is in use by another advx run (pid ${holder.pid}, since `) &&
        e.message.endsWith(`(if that run is gone, remove ${path})`) &&
        !e.message.includes('\n'),
    );
  } finally {
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('close', resolve));
  }
  const lock = acquireLock(path, '--out somewhere'); // the dead holder's lock is stale
  assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { pid: number }).pid, process.pid);
  lock.release();
  assert.ok(!existsSync(path));
});

test('a lock left by a dead process is taken over; a file that is not an advx lock is refused, never removed', () => {
  const dead = spawnSync(process.execPath, ['-e', '']).pid;
  assert.ok(dead !== undefined && dead > 0);
  const path = join(work, 'stale.advx-lock');
  writeFileSync(
    path,
    JSON.stringify({ pid: dead, host: hostname(), since: '2020-01-01T00:00:00Z', command: 'x' }),
  );
  const lock = acquireLock(path, '--out stale');
  assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { pid: number }).pid, process.pid);
  lock.release();

  const foreign = join(work, 'foreign.advx-lock');
  writeFileSync(foreign, 'user notes');
  assert.throws(() => acquireLock(foreign, '--out f'), {
    message: /^--out f is locked by .*foreign\.advx-lock, which is not an advx lock file/,
  });
  assert.equal(readFileSync(foreign, 'utf8'), 'user notes');
});
