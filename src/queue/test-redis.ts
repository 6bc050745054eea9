/**
 * `startTestRedis()`: a throwaway `redis-server` for tests and benchmarks, on loopback only, on a free
 * port, with no persistence (`--save '' --appendonly no`) in a temporary folder. It can be killed and
 * started again on the same port (a Redis restart that loses everything). Without redis-server the
 * call fails with the install hint: the project installs it (scripts/ensure-deps.sh); tests never skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRedis, parseQueueUrl } from './redis-connection.js';

export interface TestRedis {
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** Kills the server (SIGKILL: what it held is lost). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

export function redisServerPath(): string {
  return process.env.ADVX_REDIS_SERVER ?? '/usr/bin/redis-server';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startTestRedis(): Promise<TestRedis> {
  const server = redisServerPath();
  if (!existsSync(server))
    throw new Error(
      `${server} not found: the queue tests need redis-server (Debian: apt-get install redis-server, ` +
        'which scripts/ensure-deps.sh does; or set ADVX_REDIS_SERVER to its path)',
    );
  const dir = mkdtempSync(join(tmpdir(), 'advx-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    child = spawn(server, [...args, '--dir', dir, '--daemonize', 'no'], { stdio: 'ignore' });
    const started = child;
    let error: Error | null = null;
    started.once('error', (e) => (error = e));
    for (let waited = 0; ; waited += 50) {
      try {
        await checkRedis(parseQueueUrl(url), 1000);
        return;
      } catch (e) {
        if (error !== null || started.exitCode !== null || waited > 10_000)
          throw new Error(`${server} did not start on port ${port}: ${(error ?? (e as Error)).message}`, {
            cause: e,
          });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const kill = async () => {
    if (child === null) return;
    const running = child;
    child = null;
    running.kill('SIGKILL');
    await exited(running);
  };
  await start();
  return {
    url,
    port,
    kill,
    restart: start,
    async stop() {
      await kill();
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
