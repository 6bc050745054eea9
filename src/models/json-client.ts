/**
 * JSON over HTTP for the HTTP model, with the failure handling a remote model needs:
 *
 * - a timeout per attempt (`timeoutMs`): an answer that does not come in time fails at once, never retried
 *   (a hung service is not made better by more requests);
 * - retries with exponential back-off (`backoffMs`, doubling, at most `maxBackoffMs`) only for failures a
 *   repeat can cure: connection errors, 5xx, and 429 (whose Retry-After, like a 503's, is honoured up to
 *   `maxRetryAfterMs`); other 4xx fail at once with the service's reason;
 * - a rate limit (`maxQps`) on every attempt, retries included.
 *
 * Every failure is a ModelServiceError whose one-line message starts with the URL.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { RateLimiter } from './rate-limiter.js';

export interface RequestPolicy {
  /** Per attempt, in ms. */
  timeoutMs: number;
  /** Further attempts after a connection error, a 5xx or a 429. */
  retries: number;
  /** Wait before the first retry, in ms; doubles with each retry. */
  backoffMs: number;
  maxBackoffMs: number;
  /** The longest Retry-After (ms) honoured; a longer one fails. */
  maxRetryAfterMs: number;
  /** At most this many requests a second (default: no limit). */
  maxQps?: number;
}

export const DEFAULT_REQUEST_POLICY: RequestPolicy = {
  timeoutMs: 30_000,
  retries: 3,
  backoffMs: 200,
  maxBackoffMs: 5_000,
  maxRetryAfterMs: 60_000,
};

export type ServiceFailure = 'unreachable' | 'timeout' | 'status' | 'answer';

export class ModelServiceError extends Error {
  constructor(
    message: string,
    readonly failure: ServiceFailure,
    readonly status?: number,
  ) {
    super(message);
  }
}

interface Answer {
  status: number;
  retryAfter: string | null;
  text: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The system's reason for a failed connection (ECONNREFUSED, ECONNRESET, ENOTFOUND, ...). */
function networkReason(error: Error): string {
  const { code, errors } = error as { code?: string; errors?: { code?: string }[] };
  return code ?? errors?.[0]?.code ?? error.message;
}

/** Retry-After in ms (delay-seconds or an HTTP date), or undefined. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The service's one-line reason: its JSON `error`, or the start of its text. */
function reasonOf(answer: Answer): string {
  try {
    const error = (JSON.parse(answer.text) as { error?: unknown }).error;
    if (typeof error === 'string') return error;
  } catch {
    // not JSON: the text itself
  }
  const text = answer.text.replace(/\s+/g, ' ').trim();
  return text === '' ? '(no reason given)' : text.slice(0, 120);
}

const attemptsNote = (attempts: number) => (attempts > 1 ? ` (${attempts} attempts)` : '');

export class JsonClient {
  readonly policy: RequestPolicy;
  private readonly limiter: RateLimiter;
  /** Connections kept alive between requests (node:http; fetch's delayed small writes cost ~40 ms a POST). */
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 4 });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 4 });
  /** HTTP requests sent (retries included). */
  requestsSent = 0;

  constructor(
    readonly base: URL,
    policy: Partial<RequestPolicy> = {},
  ) {
    this.policy = { ...DEFAULT_REQUEST_POLICY, ...policy };
    const { timeoutMs, retries, backoffMs } = this.policy;
    if (!(timeoutMs > 0)) throw new Error(`timeout must be > 0 (got ${timeoutMs} ms)`);
    if (!Number.isInteger(retries) || retries < 0)
      throw new Error(`retries must be an integer >= 0 (got ${retries})`);
    if (!(backoffMs >= 0)) throw new Error(`back-off must be >= 0 (got ${backoffMs} ms)`);
    this.limiter = new RateLimiter(this.policy.maxQps);
  }

  get(path: string): Promise<unknown> {
    return this.request('GET', path);
  }

  post(path: string, body: string): Promise<unknown> {
    return this.request('POST', path, body);
  }

  private async request(method: 'GET' | 'POST', path: string, body?: string): Promise<unknown> {
    const url = new URL(path, this.base).href;
    const { retries, backoffMs, maxBackoffMs, maxRetryAfterMs } = this.policy;
    for (let attempt = 0; ; attempt++) {
      const backoff = Math.min(backoffMs * 2 ** attempt, maxBackoffMs);
      let answer: Answer;
      await this.limiter.wait();
      this.requestsSent++;
      try {
        answer = await this.attempt(method, url, body);
      } catch (error) {
        if (!(error instanceof ModelServiceError)) throw error;
        if (error.failure !== 'unreachable' || attempt >= retries) {
          error.message += attemptsNote(attempt + 1);
          throw error;
        }
        await sleep(backoff);
        continue;
      }
      if (answer.status >= 200 && answer.status < 300) return this.parse(answer, url);
      const failed = `${url}: HTTP ${answer.status}: ${reasonOf(answer)}`;
      const retryable = answer.status >= 500 || answer.status === 429;
      if (!retryable || attempt >= retries)
        throw new ModelServiceError(failed + attemptsNote(attempt + 1), 'status', answer.status);
      const asked =
        answer.status === 429 || answer.status === 503 ? retryAfterMs(answer.retryAfter) : undefined;
      if (asked !== undefined && asked > maxRetryAfterMs) {
        throw new ModelServiceError(
          `${failed} (asks to retry after ${asked / 1000} s, more than the ${maxRetryAfterMs / 1000} s advx waits)`,
          'status',
          answer.status,
        );
      }
      await sleep(asked ?? backoff);
    }
  }

  /** One request: resolves with any HTTP answer, rejects on no answer (timeout) or no connection. */
  private attempt(method: string, url: string, body?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      let timedOut = false;
      let settled = false;
      const finish = (outcome: Answer | Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const failed = (error: Error) =>
        finish(
          timedOut
            ? new ModelServiceError(
                `${url}: no answer within ${this.policy.timeoutMs / 1000} s (timeout)`,
                'timeout',
              )
            : new ModelServiceError(
                `${url}: cannot reach the model service (${networkReason(error)})`,
                'unreachable',
              ),
        );
      const target = new URL(url);
      const headers: Record<string, string | number> = { accept: 'application/json' };
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(
        target,
        { method, headers, agent: target.protocol === 'https:' ? this.httpsAgent : this.httpAgent },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', failed);
          response.on('close', () => {
            if (!response.complete) return failed(new Error('the connection closed mid-answer'));
            const retryAfter = response.headers['retry-after'];
            finish({
              status: response.statusCode ?? 0,
              retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
              text: Buffer.concat(chunks).toString('utf8'),
            });
          });
        },
      );
      // (the callbacks above run only after this line: requests answer asynchronously)
      const timer = setTimeout(() => {
        timedOut = true;
        request.destroy(new Error('timeout'));
      }, this.policy.timeoutMs);
      request.on('error', failed);
      request.end(body);
    });
  }

  /** Closes the connections kept alive. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private parse(answer: Answer, url: string): unknown {
    try {
      return JSON.parse(answer.text);
    } catch {
      const start = answer.text.replace(/\s+/g, ' ').trim().slice(0, 60);
      throw new ModelServiceError(`${url}: the answer is not JSON ("${start}")`, 'answer');
    }
  }
}
