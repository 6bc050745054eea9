/**
 * `node dist/bench/serve-qps.js [SECONDS]`: queries per second of the HTTP model against a loopback
 * `advx serve` of the embedded CNN (scores), at batch 1 and 64, beside the same model's logits in process,
 * measured in one run (the ratio is the cost of the service: JSON, base64, HTTP, two processes). Also the
 * CPU time per request of the client (this process) and of the server (from /proc, Linux), which a loaded
 * machine inflates far less than wall time. Prints a markdown table and the load average before and after.
 * Not a test.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../data/locations.js';
import { loadFashionMnist } from '../data/datasets.js';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { loadHttpModel } from '../models/http-model.js';
import { loadModel } from '../models/load.js';
import type { Model } from '../models/model.js';

const MODEL = 'fashion-mnist-cnn';
const BATCHES = [1, 64];

/** CPU seconds (user + system) a process has used, from /proc (NaN where there is none). */
function processCpuSeconds(pid: number): number {
  const file = `/proc/${pid}/stat`;
  if (!existsSync(file)) return NaN;
  const fields = readFileSync(file, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

const ownCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

interface Rate {
  perSecond: number;
  clientCpuMs: number;
  serverCpuMs: number;
}

/** Starts `advx serve` on a free loopback port; resolves with its URL, its pid and a stop function. */
function startServe(): Promise<{ url: string; pid: number; stop: () => void }> {
  const bin = join(packageRoot, 'dist', 'cli', 'main.js');
  const child = spawn(
    process.execPath,
    [bin, 'serve', '--model', MODEL, '--port', '0', '--max-batch', '64'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /at (http:\/\/\S+)\n/.exec(out)?.[1];
      if (url !== undefined) resolve({ url, pid: child.pid ?? -1, stop: () => child.kill('SIGTERM') });
    });
    child.on('exit', (code) => reject(new Error(`advx serve exited with ${code}`)));
  });
}

/** Calls of `model.logits(x)` a second over `seconds` (after 3 warm-up calls), and CPU ms per call. */
async function callsPerSecond(model: Model, x: Tensor4D, seconds: number, serverPid?: number): Promise<Rate> {
  const once = async () => (await model.logits(x)).dispose();
  for (let i = 0; i < 3; i++) await once();
  let calls = 0;
  const [client, server] = [ownCpuSeconds(), serverPid === undefined ? NaN : processCpuSeconds(serverPid)];
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await once();
    calls++;
  }
  const perSecond = (calls * 1000) / (performance.now() - start);
  const serverCpu = serverPid === undefined ? NaN : processCpuSeconds(serverPid) - server;
  return {
    perSecond,
    clientCpuMs: ((ownCpuSeconds() - client) * 1000) / calls,
    serverCpuMs: (serverCpu * 1000) / calls,
  };
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  await initEngine();
  const before = loadavg()[0];
  const service = await startServe();
  try {
    const remote = await loadHttpModel(service.url);
    const model = await loadModel(MODEL);
    const data = loadFashionMnist('test', Math.max(...BATCHES));
    const rows: string[] = [];
    for (const batch of BATCHES) {
      const x = tf.tensor4d(data.images.subarray(0, batch * 784), [batch, 28, 28, 1]);
      const http = await callsPerSecond(remote, x, seconds, service.pid);
      const local = await callsPerSecond(model, x, seconds);
      x.dispose();
      rows.push(
        `| ${batch} | ${http.perSecond.toFixed(1)} | ${(http.perSecond * batch).toFixed(0)} | ` +
          `${http.clientCpuMs.toFixed(2)} + ${http.serverCpuMs.toFixed(2)} | ${local.perSecond.toFixed(1)} | ` +
          `${(local.perSecond * batch).toFixed(0)} | ${local.clientCpuMs.toFixed(2)} | ` +
          `${(local.perSecond / http.perSecond).toFixed(2)}x |`,
      );
    }
    console.log(
      `advx serve (${MODEL}, scores) on loopback, Node ${process.version}, ${seconds} s per figure`,
    );
    console.log(
      '| batch | HTTP requests/s | HTTP images/s | HTTP CPU ms/request (client + server) | ' +
        'in-process calls/s | in-process images/s | in-process CPU ms/call | wall cost of HTTP |',
    );
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const row of rows) console.log(row);
    console.log(`load average (1 min): ${before.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after`);
    model.dispose();
  } finally {
    service.stop();
  }
}

main().catch((error: Error) => {
  console.error(`serve-qps: ${error.message}`);
  process.exitCode = 1;
});
