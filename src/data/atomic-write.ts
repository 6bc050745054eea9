/**
 * Writing a file atomically: the bytes go to a temporary file in the same folder, are
 * flushed to disk (fsync), then take the final name in one step, so a reader never sees half a file and
 * a crash leaves no file under the final name. Without `overwrite`, an existing file is refused, also
 * when it appears while the export runs (hard link: fails if the name exists).
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { faultPoint } from './fault-point.js';

function refuse(path: string): Error {
  return new Error(`${path} exists; refusing to overwrite it (use --force or another --out)`);
}

/** Throws when `path` cannot be written: a folder, or an existing file without `overwrite`. */
export function checkOutFile(path: string, overwrite: boolean): void {
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) throw new Error(`${path} is a folder, not a file name`);
  if (!overwrite) throw refuse(path);
}

/** Durably writes `bytes` to a new temporary file beside `path` and returns its name (removed on failure). */
function writeTemporary(path: string, bytes: Uint8Array): string {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);
  const fd = openSync(tmp, 'wx');
  let written = false;
  try {
    for (let offset = 0; offset < bytes.length;) offset += writeSync(fd, bytes, offset);
    fsyncSync(fd);
    written = true;
  } finally {
    closeSync(fd);
    if (!written) rmSync(tmp, { force: true });
  }
  return tmp;
}

function syncFolder(folder: string): void {
  try {
    const fd = openSync(folder, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems cannot fsync a folder; the rename itself is still atomic.
  }
}

/** Gives `tmp` the name `path` unless that name exists (a hard link fails then; rename would replace it). */
function commitWithoutOverwrite(tmp: string, path: string): void {
  try {
    linkSync(tmp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw refuse(path);
    // A file system without hard links: check, then rename (a small window instead of none).
    if (existsSync(path)) throw refuse(path);
    renameSync(tmp, path);
    return;
  }
  rmSync(tmp);
}

/** Writes `bytes` to `path` atomically (creating its folder); refuses an existing file unless `overwrite`. */
export function writeFileAtomically(path: string, bytes: Uint8Array, overwrite: boolean): void {
  checkOutFile(path, overwrite);
  let tmp: string | null = null;
  try {
    mkdirSync(dirname(path), { recursive: true });
    tmp = writeTemporary(path, bytes);
    faultPoint(`before-rename-${basename(path)}`);
    if (overwrite) renameSync(tmp, path);
    else commitWithoutOverwrite(tmp, path);
  } catch (error) {
    if (tmp !== null) rmSync(tmp, { force: true });
    if ((error as Error).message.startsWith(path)) throw error;
    throw new Error(`${path}: cannot write (${(error as Error).message})`, { cause: error });
  }
  syncFolder(dirname(path));
}
