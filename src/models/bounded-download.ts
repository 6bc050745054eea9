/**
 * Downloading one URL without trusting the server: a time limit for the response (connect timeout), for
 * each gap between bytes of the body (idle timeout) and for the whole; a byte limit checked against
 * Content-Length first and against the running count while streaming (never after buffering); redirects
 * followed by hand, each target checked by the caller before it is requested; and a clear message when
 * the body stops short ("ended after N of M bytes").
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

export interface DownloadTimeouts {
  /** ms to wait for the response headers, connection included (default 30 s). */
  connectTimeoutMs?: number;
  /** ms to wait for the next bytes of the body (default 30 s). */
  idleTimeoutMs?: number;
  /** ms for the whole download (default 1 hour). */
  totalTimeoutMs?: number;
  /** Redirects followed (default 5). */
  maxRedirects?: number;
}

export interface BoundedDownloadOptions extends DownloadTimeouts {
  /** Most bytes the body may have. */
  maxBytes: number;
  /** How the limit is called in messages (e.g. `maxModelBytes`). */
  limitName: string;
  /** Throws when a redirect target must not be fetched. */
  checkRedirect?: (target: URL, from: URL) => void;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 3600_000;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function byteSize(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${bytes} bytes`;
}

const seconds = (ms: number) => `${ms >= 10_000 ? Math.round(ms / 1000) : ms / 1000} s`;

/** The reason under fetch's generic "fetch failed" / "terminated". */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { message?: string; code?: string } }).cause;
  return cause?.message ?? cause?.code ?? (error as Error).message ?? String(error);
}

/** The body's length when the server declares it and it counts body bytes (no content encoding). */
function declaredLength(response: Response): number | undefined {
  const encoding = response.headers.get('content-encoding');
  if (encoding !== null && encoding !== 'identity') return undefined;
  const text = response.headers.get('content-length');
  const n = text === null ? NaN : Number(text);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** One timer at a time, whose expiry aborts the download and says why. */
class Deadline {
  readonly controller = new AbortController();
  reason: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private readonly total: NodeJS.Timeout;

  constructor(totalMs: number) {
    this.total = setTimeout(() => this.expire(`did not finish within ${seconds(totalMs)}`), totalMs);
  }

  arm(ms: number, reason: string): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.expire(reason), ms);
  }

  private expire(reason: string): void {
    this.reason = reason;
    this.controller.abort();
  }

  clear(): void {
    clearTimeout(this.timer);
    clearTimeout(this.total);
  }
}

/**
 * Fetches `url` (following redirects that `checkRedirect` allows) and hands each chunk of the body to
 * `onChunk` as it arrives. Returns the final URL (after redirects) and the byte count. Every failure is a
 * one-line error naming the URL.
 */
export async function downloadBounded(
  url: URL,
  options: BoundedDownloadOptions,
  onChunk: (chunk: Uint8Array) => void,
): Promise<{ url: URL; bytes: number }> {
  const connectMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const deadline = new Deadline(options.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS);
  let current = url;
  try {
    deadline.arm(connectMs, `no response within ${seconds(connectMs)}`);
    let response: Response;
    for (let redirects = 0; ; redirects++) {
      try {
        response = await fetch(current, { redirect: 'manual', signal: deadline.controller.signal });
      } catch (error) {
        const why = deadline.reason ?? `download failed (${causeOf(error)})`;
        throw new Error(`${current.href}: ${why}`, { cause: error });
      }
      if (!REDIRECTS.has(response.status)) break;
      await response.body?.cancel();
      const location = response.headers.get('location');
      if (location === null) throw new Error(`${current.href}: HTTP ${response.status} without a Location`);
      if (redirects >= (options.maxRedirects ?? 5))
        throw new Error(`${url.href}: more than ${options.maxRedirects ?? 5} redirects`);
      let target: URL;
      try {
        target = new URL(location, current);
      } catch {
        throw new Error(`${current.href}: redirected to an invalid URL '${location}'`);
      }
      if (target.protocol !== 'http:' && target.protocol !== 'https:')
        throw new Error(`${current.href}: redirected to ${target.protocol} URL, only http(s) is fetched`);
      options.checkRedirect?.(target, current);
      current = target;
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      throw new Error(`${current.href}: HTTP ${response.status} ${response.statusText}`.trimEnd());
    }
    const declared = declaredLength(response);
    const tooLarge = (size: string) =>
      new Error(
        `${current.href}: ${size} is more than the download limit of ${byteSize(options.maxBytes)} (${options.limitName})`,
      );
    if (declared !== undefined && declared > options.maxBytes) {
      await response.body.cancel();
      throw tooLarge(byteSize(declared));
    }
    let received = 0;
    const reader = response.body.getReader();
    try {
      for (;;) {
        deadline.arm(idleMs, `download stalled: no data for ${seconds(idleMs)}`);
        const { done, value } = await reader.read();
        if (done) break;
        received += value.length;
        if (received > options.maxBytes) throw tooLarge(`the body (over ${byteSize(options.maxBytes)})`);
        onChunk(value);
      }
    } catch (error) {
      await reader.cancel().catch(() => undefined);
      if ((error as Error).message?.startsWith(current.href)) throw error;
      const of = declared === undefined ? '' : ` of ${declared}`;
      const why = deadline.reason ?? `connection lost: ${causeOf(error)}`;
      throw new Error(`${current.href}: download ended after ${received}${of} bytes (${why})`, {
        cause: error,
      });
    }
    if (declared !== undefined && received !== declared)
      throw new Error(`${current.href}: download ended after ${received} of ${declared} bytes`);
    return { url: current, bytes: received };
  } finally {
    deadline.clear();
  }
}

/** Downloads into memory (for small files, e.g. model.json, or ones decoded whole, e.g. .onnx). */
export async function downloadToBuffer(
  url: URL,
  options: BoundedDownloadOptions,
): Promise<{ url: URL; body: Buffer }> {
  const chunks: Uint8Array[] = [];
  const { url: final } = await downloadBounded(url, options, (chunk) => chunks.push(chunk));
  return { url: final, body: Buffer.concat(chunks) };
}

/** Downloads into `file` (created; it must not exist), streaming, flushed to disk before returning. */
export async function downloadToFile(
  url: URL,
  file: string,
  options: BoundedDownloadOptions,
): Promise<{ url: URL; bytes: number }> {
  const fd = openSync(file, 'wx');
  try {
    const result = await downloadBounded(url, options, (chunk) => {
      for (let at = 0; at < chunk.length;) at += writeSync(fd, chunk, at);
    });
    fsyncSync(fd);
    return result;
  } finally {
    closeSync(fd);
  }
}
