/**
 * The Redis a queued evaluation runs through, named by `--queue redis://HOST:PORT[/DB]` (`rediss://` for
 * TLS; `redis://:PASSWORD@HOST:PORT` or `redis://USER:PASSWORD@...` where the server asks for them).
 *
 * Connections made by `connectRedis` wait for Redis instead of failing: a command sent while Redis is
 * away is held until it is back (BullMQ needs this of its blocking connections, and it is what makes a
 * queued evaluation pause and then continue). `checkRedis` is the one call that does not wait: it says,
 * in one line, whether a Redis server answers at the URL at all.
 */
import { Redis, type RedisOptions } from 'ioredis';

export interface QueueUrl {
  /** The URL as given. */
  readonly href: string;
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly tls: boolean;
  readonly username?: string;
  readonly password?: string;
}

const FORM = 'redis://HOST:PORT[/DB]';

/** The parts of a `redis://` URL; a one-line error naming the problem otherwise. */
export function parseQueueUrl(text: string): QueueUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`'${text}' is not a URL (give ${FORM})`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new Error(`'${text}' is not a redis:// URL (give ${FORM})`);
  if (url.hostname === '') throw new Error(`'${text}' names no host (give ${FORM})`);
  const path = url.pathname.replace(/^\//, '');
  if (!/^\d*$/.test(path)) throw new Error(`'${text}': the database after the port must be a number`);
  return {
    href: text,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 6379 : Number(url.port),
    db: path === '' ? 0 : Number(path),
    tls: url.protocol === 'rediss:',
    username: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
  };
}

/** The URL without its password, for messages. */
export function displayUrl(url: QueueUrl): string {
  return url.password === undefined ? url.href : url.href.replace(/:[^:@/]*@/, ':***@');
}

function options(url: QueueUrl): RedisOptions {
  return {
    host: url.host,
    port: url.port,
    db: url.db,
    username: url.username,
    password: url.password,
    tls: url.tls ? {} : undefined,
  };
}

/** What a connection reports about Redis: away (with why) or back. */
export type RedisStateListener = (up: boolean, reason?: string) => void;

/**
 * A connection that holds commands while Redis is away and reconnects every second or two until it is
 * back; its errors go to `onState` (once per outage), never to the console.
 */
export function connectRedis(url: QueueUrl, onState?: RedisStateListener): Redis {
  const client = new Redis({
    ...options(url),
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(200 * times, 2000),
  });
  let up = true;
  client.on('error', (error: Error) => {
    if (up) onState?.(false, error.message);
    up = false;
  });
  client.on('close', () => {
    if (up) onState?.(false, 'connection closed');
    up = false;
  });
  client.on('ready', () => {
    if (!up) onState?.(true);
    up = true;
  });
  return client;
}

/** Closes a `connectRedis` connection without reporting its own closing as an outage. */
export function closeRedis(client: Redis): void {
  client.removeAllListeners('close');
  client.removeAllListeners('error');
  client.on('error', () => undefined);
  client.disconnect();
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Throws a one-line error unless a Redis server answers at `url` within `timeoutMs`. */
export async function checkRedis(url: QueueUrl, timeoutMs = 5000): Promise<void> {
  const client = new Redis({
    ...options(url),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  let cause: Error | null = null; // why the connection closed, which `connect` does not say
  client.on('error', (error: Error) => (cause ??= error));
  const where = displayUrl(url);
  try {
    const reply = await withTimeout(
      client.connect().then(() => client.ping()),
      timeoutMs,
      `no answer within ${timeoutMs / 1000} s`,
    );
    if (reply !== 'PONG') throw new Error(`it answered '${String(reply)}' to PING`);
  } catch (error) {
    const reason = (cause ?? (error as Error)).message.replace(/\s+/g, ' ').trim();
    throw new Error(`${where}: no Redis server answers there (${reason})`, { cause: error });
  } finally {
    client.disconnect();
  }
}
