/**
 * Where a run writes its outputs (`--out`): checked before any work, so that a bad place is one line
 * naming the path and the problem instead of an errno after minutes of computing, and locked for the
 * run (output-lock.ts), so that two runs never mix their files. Creating the lock file is also the
 * probe that the folder is writable. A run that fails before writing anything leaves no empty folder
 * behind: the folders it created are removed again when empty.
 */
import { existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AdvxError } from '../errors.js';
import {
  acquireLock,
  fileLockPath,
  folderLockPath,
  OutputBusyError,
  type OutputLock,
} from './output-lock.js';

/** A bad output place (a user-facing, one-line message): an AdvxError of code `bad-file` (exit 2). */
export class OutputFolderError extends AdvxError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('bad-file', message, { cause: options.cause });
    this.name = 'OutputFolderError';
  }
}

export interface OutputPlace {
  /** The folder (openOutputFolder) or file (openOutputFile), absolute. */
  readonly path: string;
  /** The same as given (relative paths stay relative), for messages and reports. */
  readonly shown: string;
  /** Releases the lock and removes the folders this run created if they stayed empty. Idempotent. */
  release(): void;
}

export interface OutputFolderOptions {
  /** The option the folder came from, for messages (default '--out'). */
  option?: string;
  /** File names the run will write in it: refused when one exists, unless `force`. */
  files?: readonly string[];
  force?: boolean;
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  ENOENT: 'no such file or folder',
};

/** The errno of a file-system error in words ("permission denied"), else its message. */
export function fileSystemReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return (code !== undefined && REASONS[code]) || (error as Error).message;
}

/** The nearest existing ancestor of `path` that is not a folder, if any. */
function fileInTheWay(path: string): string | null {
  for (let p = dirname(path); ; p = dirname(p)) {
    if (existsSync(p)) return statSync(p).isDirectory() ? null : p;
    if (dirname(p) === p) return null;
  }
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdir loops forever where a folder cannot be made
 * for ENOENT (e.g. under /proc). Returns the top-most folder made (null: none).
 */
function makeFolders(dir: string): string | null {
  const missing: string[] = [];
  for (let p = dir; !existsSync(p); p = dirname(p)) {
    missing.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const p of missing) {
    try {
      mkdirSync(p);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        removeEmptyFolders(dirname(p), missing[0] === p ? null : missing[0]);
        throw error;
      }
    }
  }
  return missing[0] ?? null;
}

/** Creates `dir` (and its parents); returns the top-most folder it created, or null when it existed. */
function createFolder(dir: string, option: string, shown: string): string | null {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory())
      throw new OutputFolderError(`${option}: ${shown} exists and is not a folder`);
    return null;
  }
  const blocker = fileInTheWay(dir);
  if (blocker !== null)
    throw new OutputFolderError(`${option}: cannot create ${shown}: ${blocker} is a file, not a folder`);
  try {
    return makeFolders(dir);
  } catch (error) {
    throw new OutputFolderError(`${option}: cannot create ${shown} (${fileSystemReason(error)})`, {
      cause: error,
    });
  }
}

/** Removes `dir` and its parents up to `top` (the first folder this run created) while they are empty. */
function removeEmptyFolders(dir: string, top: string | null): void {
  if (top === null) return;
  for (let p = dir; p.startsWith(top); p = dirname(p)) {
    try {
      rmdirSync(p);
    } catch {
      return; // not empty (or gone): keep it and everything above
    }
    if (p === top) return;
  }
}

/** Takes the lock at `lockPath`; on failure removes the folders this run created (`created`, up from `folder`). */
function lock(
  lockPath: string,
  option: string,
  shown: string,
  folder: string,
  created: string | null,
): OutputLock {
  try {
    return acquireLock(lockPath, `${option} ${shown}`);
  } catch (error) {
    removeEmptyFolders(folder, created);
    if (error instanceof OutputBusyError) throw new OutputFolderError(error.message, { cause: error });
    throw new OutputFolderError(
      `${option}: cannot write in ${dirname(lockPath)} (${fileSystemReason(error)})`,
      {
        cause: error,
      },
    );
  }
}

function place(
  path: string,
  shown: string,
  folder: string,
  created: string | null,
  held: OutputLock,
): OutputPlace {
  let released = false;
  return {
    path,
    shown,
    release() {
      if (released) return;
      released = true;
      held.release();
      removeEmptyFolders(folder, created);
    },
  };
}

/**
 * Opens `dir` for a run's outputs: creates it, checks that it is a writable folder, takes its lock and
 * refuses when one of `files` exists there (unless `force`). Throws OutputFolderError (one line).
 */
export function openOutputFolder(dir: string, options: OutputFolderOptions = {}): OutputPlace {
  const option = options.option ?? '--out';
  const target = resolve(dir);
  const created = createFolder(target, option, dir);
  const held = lock(folderLockPath(target), option, dir, target, created);
  const opened = place(target, dir, target, created, held);
  try {
    if (options.force !== true) refuseExistingFiles(dir, options.files ?? []);
  } catch (error) {
    opened.release();
    throw error;
  }
  return opened;
}

/**
 * Refuses (OutputFolderError) when one of `files`, names in `dir`, exists: the one check of every run
 * that must not overwrite earlier outputs (without --force).
 */
export function refuseExistingFiles(dir: string, files: readonly string[]): void {
  const existing = files.map((f) => join(dir, f)).find((p) => existsSync(p));
  if (existing !== undefined)
    throw new OutputFolderError(
      `${existing} exists; refusing to overwrite it (use --force or another --out)`,
    );
}

/** Makes a new folder `parent/stem` (or `stem-2`, ...) with exclusive creation; returns it (as `parent/...`) and the top-most folder made. */
function makeFreshFolder(parent: string, stem: string, option: string): { dir: string; top: string } {
  const top = createFolder(resolve(parent), option, parent);
  for (let i = 1; ; i++) {
    const dir = join(parent, i === 1 ? stem : `${stem}-${i}`);
    try {
      mkdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      removeEmptyFolders(resolve(parent), top);
      throw new OutputFolderError(`${option}: cannot create ${dir} (${fileSystemReason(error)})`, {
        cause: error,
      });
    }
    return { dir, top: top ?? resolve(dir) };
  }
}

/**
 * Creates a new folder `parent/stem` (or `parent/stem-2`, ...) that no other run can pick (the last
 * folder is made with exclusive creation) and returns its path as `parent/...`. Not locked: see
 * {@link openFreshOutputFolder}.
 */
export function createFreshFolder(parent: string, stem: string, option = '--out'): string {
  return makeFreshFolder(parent, stem, option).dir;
}

/** {@link createFreshFolder}, opened (locked) for this run; released, it is removed again if still empty. */
export function openFreshOutputFolder(parent: string, stem: string, option = '--out'): OutputPlace {
  const { dir, top } = makeFreshFolder(parent, stem, option);
  const target = resolve(dir);
  const held = lock(folderLockPath(target), option, dir, target, top);
  return place(target, dir, target, top, held);
}

/**
 * Opens the output file `file` (e.g. `advx report --out report.html`): refuses a folder, and an existing
 * file unless `force`; creates its folder, checks it is writable and locks the file for this run.
 */
export function openOutputFile(
  file: string,
  options: { option?: string; force?: boolean } = {},
): OutputPlace {
  const option = options.option ?? '--out';
  const target = resolve(file);
  if (existsSync(target)) {
    if (statSync(target).isDirectory())
      throw new OutputFolderError(`${option}: ${file} is a folder; give a file name`);
    if (options.force !== true)
      throw new OutputFolderError(`${file} exists; refusing to overwrite it (use --force or another --out)`);
  }
  const blocker = fileInTheWay(target);
  if (blocker !== null)
    throw new OutputFolderError(`${option}: cannot create ${file}: ${blocker} is a file, not a folder`);
  const folder = dirname(target);
  const created = createFolder(folder, option, dirname(file));
  const held = lock(fileLockPath(target), option, file, folder, created);
  const opened = place(target, file, folder, created, held);
  if (options.force !== true && existsSync(target)) {
    opened.release();
    throw new OutputFolderError(`${file} exists; refusing to overwrite it (use --force or another --out)`);
  }
  return opened;
}
