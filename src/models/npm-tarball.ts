/**
 * Getting an npm package's tarball as a local file: through `npm pack NAME@VERSION` (so the user's registry,
 * proxy, authentication and npm cache settings apply; never `npm install`, which would run the package's
 * scripts and pull its dependencies), or from an http(s) URL, or a local path. Each way has a time limit
 * and reports progress through a `log` function.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

export type Log = (line: string) => void;

/** Progress lines go to stderr, so stdout stays clean for `--json`. */
export const stderrLog: Log = (line) => process.stderr.write(`${line}\n`);

export interface TarballOptions {
  /** Limit for npm pack or the download, in ms. */
  timeoutMs?: number;
  log?: Log;
  /** Seconds between "still fetching" lines of npm pack (default 15). */
  tickSeconds?: number;
}

export const DEFAULT_TIMEOUT_MS = 20 * 60 * 1000;

const isUrl = (s: string): boolean => /^https?:\/\//i.test(s);

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

const seconds = (ms: number): string => `${ms >= 10_000 ? Math.round(ms / 1000) : ms / 1000} s`;

/** The first error lines npm printed (its `--json` error object, or `npm error` lines on stderr). */
function npmErrorSummary(stdout: string, stderr: string): string {
  try {
    const parsed = JSON.parse(stdout) as { error?: { code?: string; summary?: string } };
    if (parsed.error?.summary !== undefined) {
      return [parsed.error.code, parsed.error.summary.split('\n')[0]].filter(Boolean).join(': ');
    }
  } catch {
    // not JSON: fall back to stderr
  }
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim())
    .filter((l) => l !== '' && !/^(A complete log|Log files|\d{4}-\d\d-\d\d)/.test(l));
  return lines.slice(0, 2).join('; ') || 'no message';
}

export interface PackedTarball {
  /** The tarball npm wrote. */
  file: string;
  /** The integrity npm reports for it (advx checks the file itself all the same). */
  integrity?: string;
}

/**
 * Runs `npm pack SPEC --json --pack-destination DIR` and returns the tarball it wrote. SPEC is anything
 * npm pack takes (`name@version`, a folder); scripts are never run.
 */
export function npmPack(
  spec: string,
  destination: string,
  options: TarballOptions = {},
): Promise<PackedTarball> {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, log = stderrLog, tickSeconds = 15 } = options;
  const args = ['pack', spec, '--json', '--pack-destination', destination, '--ignore-scripts'];
  return new Promise((resolvePacked, reject) => {
    const started = Date.now();
    const child = spawn('npm', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const ticker = setInterval(
      () => log(`  still fetching ${spec} (${Math.round((Date.now() - started) / 1000)} s)`),
      tickSeconds * 1000,
    );
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, timeoutMs);
    const finish = () => {
      clearInterval(ticker);
      clearTimeout(timer);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      finish();
      const hint =
        error.code === 'ENOENT' ? ' (npm is not on the PATH; give the tarball with --tarball)' : '';
      reject(new Error(`npm pack ${spec}: cannot run npm: ${error.message}${hint}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      finish();
      if (timedOut) {
        reject(new Error(`npm pack ${spec}: timed out after ${seconds(timeoutMs)}`));
        return;
      }
      if (code !== 0) {
        const status = code === null ? `killed by ${signal}` : `exit code ${code}`;
        reject(new Error(`npm pack ${spec} failed (${status}): ${npmErrorSummary(stdout, stderr)}`));
        return;
      }
      let packed: { filename?: string; integrity?: string } | undefined;
      try {
        packed = (JSON.parse(stdout.slice(stdout.indexOf('['))) as (typeof packed)[])[0];
      } catch {
        packed = undefined;
      }
      const filename = packed?.filename;
      const file =
        filename === undefined ? '' : join(destination, filename.replace(/^@/, '').replace('/', '-'));
      if (file === '' || !existsSync(file)) {
        reject(
          new Error(
            `npm pack ${spec}: npm did not report the tarball it wrote (${stdout.slice(0, 200).replace(/\s+/g, ' ')})`,
          ),
        );
        return;
      }
      resolvePacked({ file, integrity: packed?.integrity });
    });
  });
}

/** Downloads `url` into `file`, logging progress at most every few seconds. */
export async function downloadFile(url: string, file: string, options: TarballOptions = {}): Promise<void> {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, log = stderrLog, tickSeconds = 5 } = options;
  const signal = AbortSignal.timeout(timeoutMs);
  const timeoutMessage = () => `${url}: download timed out after ${seconds(timeoutMs)}`;
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    if (signal.aborted) throw new Error(timeoutMessage(), { cause: error });
    const cause = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new Error(`${url}: download failed (${cause})`, { cause: error });
  }
  if (!response.ok || response.body === null) {
    throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
  }
  const total = Number(response.headers.get('content-length') ?? NaN);
  let received = 0;
  let lastLog = Date.now();
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      if (Date.now() - lastLog >= tickSeconds * 1000) {
        lastLog = Date.now();
        log(`  ${megabytes(received)}${Number.isFinite(total) ? ` of ${megabytes(total)}` : ''}`);
      }
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream), counter, createWriteStream(file));
  } catch (error) {
    if (signal.aborted) throw new Error(timeoutMessage(), { cause: error });
    throw new Error(`${url}: download failed (${(error as Error).message})`, { cause: error });
  }
  if (Number.isFinite(total) && received !== total) {
    throw new Error(`${url}: download incomplete (${received} of ${total} bytes)`);
  }
}

/**
 * The tarball of `npmSpec` as a local file: `source` when it is a local path, else downloaded from
 * `source` (an http(s) URL) or fetched with npm pack, into `workDir`.
 */
export async function obtainTarball(
  npmSpec: string,
  workDir: string,
  source?: string,
  options: TarballOptions = {},
): Promise<string> {
  const log = options.log ?? stderrLog;
  if (source === undefined) {
    log(`fetching ${npmSpec} with npm pack`);
    return (await npmPack(npmSpec, workDir, options)).file;
  }
  if (isUrl(source)) {
    log(`downloading ${source}`);
    const file = join(workDir, 'package.tgz');
    await downloadFile(source, file, options);
    return file;
  }
  if (!existsSync(source) || !statSync(source).isFile()) throw new Error(`${source}: no such tarball file`);
  return source;
}

/** Whether npm reaches its registry (`npm ping`), with npm's reason when it does not. */
export function npmRegistryReachable(timeoutMs = 30_000): Promise<{ reachable: boolean; detail: string }> {
  return new Promise((resolveResult) => {
    const child = spawn('npm', ['ping'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolveResult({ reachable: false, detail: `cannot run npm: ${error.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const detail = npmErrorSummary('', output) || `exit code ${code}`;
      resolveResult({ reachable: code === 0, detail: code === null ? `npm ping timed out` : detail });
    });
  });
}
