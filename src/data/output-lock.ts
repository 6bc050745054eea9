/**
 * One run at a time per output: a lock file, created exclusively (a hard link of a finished temporary
 * file, so it never appears half-written), names its owner (pid, host, start time, command). A second
 * run finds it and stops with one line naming the owner. A lock whose owner died on this host is taken
 * over; the lock is removed when the run releases it, and at the latest when its process exits.
 *
 * Locks are per process: taking a lock this process already holds succeeds (reference counted), so a
 * command that calls another library function on the same folder does not lock itself out.
 */
import { closeSync, linkSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

/** Name of the lock file inside an output folder. */
export const FOLDER_LOCK = '.advx-lock';

/** Another live run holds the lock (a user-facing, one-line message). */
export class OutputBusyError extends Error {}

interface LockOwner {
  pid: number;
  host: string;
  since: string;
  command: string;
}

export interface OutputLock {
  /** The lock file. */
  readonly path: string;
  /** Gives the lock up (once; later calls do nothing). */
  release(): void;
}

/** The lock file of a folder of outputs. */
export function folderLockPath(dir: string): string {
  return join(dir, FOLDER_LOCK);
}

/** The lock file of a single output file: `.NAME.advx-lock` beside it. */
export function fileLockPath(file: string): string {
  return join(dirname(file), `.${basename(file)}${FOLDER_LOCK}`);
}

const held = new Map<string, number>();
let exitHookInstalled = false;

function ownerOf(path: string): LockOwner | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    if (Number.isInteger(owner.pid) && typeof owner.host === 'string') return owner as LockOwner;
  } catch {
    // not ours
  }
  return 'unreadable';
}

function isMine(owner: LockOwner | 'missing' | 'unreadable'): boolean {
  return typeof owner === 'object' && owner.pid === process.pid && owner.host === hostname();
}

/** True when `pid` is a live process on this host (EPERM: alive, owned by someone else). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function myOwnerRecord(): string {
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    command: process.argv
      .slice(1)
      .map((a) => basename(a))
      .join(' ')
      .slice(0, 200),
  };
  return JSON.stringify(owner);
}

/** Creates `path` holding `content` unless it exists: false when it does. Other errors are thrown. */
function createExclusively(path: string, content: string): boolean {
  const tmp = `${path}.${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    writeFileSync(tmp, content, { flag: 'wx' });
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
    // No hard links on this file system: exclusive creation (the content follows in a moment).
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (inner) {
      if ((inner as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw inner;
    }
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    return true;
  } finally {
    rmSync(tmp, { force: true });
  }
}

function removeIfMine(path: string): void {
  if (isMine(ownerOf(path))) rmSync(path, { force: true });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const path of held.keys()) {
      try {
        removeIfMine(path);
      } catch {
        // exiting anyway; a stale lock of a dead pid is taken over by the next run
      }
    }
    held.clear();
  });
}

function busy(what: string, path: string, owner: LockOwner | 'unreadable'): OutputBusyError {
  if (owner === 'unreadable') {
    return new OutputBusyError(
      `${what} is locked by ${path}, which is not an advx lock file; remove it if no advx run is writing there`,
    );
  }
  const by = `pid ${owner.pid}${owner.host === hostname() ? '' : ` on ${owner.host}`}, since ${owner.since}`;
  return new OutputBusyError(
    `${what} is in use by another advx run (${by}${owner.command ? `: ${owner.command}` : ''}); ` +
      `wait for it or choose another --out (if that run is gone, remove ${path})`,
  );
}

/**
 * Removes the lock at `path` if it still names the dead `stale` owner. A claim file taken exclusively
 * makes sure only one of several runs starting at once removes it.
 */
function takeOverStale(path: string, stale: LockOwner): void {
  const claim = `${path}.stale-${stale.pid}`;
  if (!createExclusively(claim, myOwnerRecord())) {
    const claimant = ownerOf(claim);
    // A claimant that died itself leaves its claim: remove that and let the next attempt claim again.
    if (claimant === 'unreadable' || (typeof claimant === 'object' && !isAlive(claimant.pid)))
      rmSync(claim, { force: true });
    return;
  }
  try {
    const now = ownerOf(path);
    if (
      typeof now === 'object' &&
      now.pid === stale.pid &&
      now.host === stale.host &&
      now.since === stale.since
    )
      rmSync(path, { force: true });
  } finally {
    rmSync(claim, { force: true });
  }
}

/**
 * Takes the lock file `path` for a run writing `what` (named in the error, e.g. "--out advx-out/x").
 * Throws OutputBusyError when a live run holds it; other errors (a folder that cannot be written) are
 * the file system's, thrown as they come.
 */
export function acquireLock(path: string, what: string): OutputLock {
  installExitHook();
  for (let attempt = 0; attempt < 5; attempt++) {
    const count = held.get(path) ?? 0;
    if (count > 0 && isMine(ownerOf(path))) {
      held.set(path, count + 1);
      return handle(path);
    }
    if (createExclusively(path, myOwnerRecord())) {
      held.set(path, 1);
      return handle(path);
    }
    const owner = ownerOf(path);
    if (owner === 'missing') continue; // released meanwhile
    if (owner === 'unreadable') throw busy(what, path, owner);
    const foreignHost = owner.host !== hostname();
    // Our own pid without holding the lock: left by an earlier process that had this pid.
    const dead = !foreignHost && (owner.pid === process.pid || !isAlive(owner.pid));
    if (!dead) throw busy(what, path, owner);
    takeOverStale(path, owner);
  }
  const owner = ownerOf(path);
  throw busy(what, path, owner === 'missing' ? 'unreadable' : owner);
}

function handle(path: string): OutputLock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      const count = (held.get(path) ?? 1) - 1;
      if (count > 0) {
        held.set(path, count);
        return;
      }
      held.delete(path);
      removeIfMine(path);
    },
  };
}
