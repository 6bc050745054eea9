/**
 * `npm run bench`: ms per PGD step (forward + input gradient) for the embedded CNN at batch 128 and
 * MobileNet at batch 1 and 8, beside PyTorch on the same CPU measured in the same run when Debian's
 * python3-torch is installed. Not a test: it prints a markdown table for the README.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { os } from './os-info.js';
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { lossGradient } from '../attacks/loss-gradient.js';
import { packageRoot } from '../data/locations.js';
import { loadModel } from '../models/load.js';
import type { Model } from '../models/model.js';

interface Row {
  name: string;
  key: string;
  model: string;
  batch: number;
  repeats: number;
}

const ROWS: Row[] = [
  { name: 'embedded CNN, batch 128', key: 'cnn_128', model: 'fashion-mnist-cnn', batch: 128, repeats: 20 },
  {
    name: 'MobileNet v1 0.75, batch 1',
    key: 'mobilenet_1',
    model: 'mobilenet-v1-0.75',
    batch: 1,
    repeats: 10,
  },
  {
    name: 'MobileNet v1 0.75, batch 8',
    key: 'mobilenet_8',
    model: 'mobilenet-v1-0.75',
    batch: 8,
    repeats: 5,
  },
];

/** Median ms of one forward + input-gradient step. */
function stepMs(model: Model, batch: number, repeats: number): number {
  const x = tf.randomUniform([batch, ...model.inputShape], 0, 1, 'float32', 1) as tf.Tensor4D;
  const goal = { labels: Array.from({ length: batch }, (_, i) => i % model.numClasses), targeted: false };
  tf.dispose(lossGradient(model, x, goal));
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    const g = lossGradient(model, x, goal);
    g.dataSync();
    times.push(performance.now() - start);
    g.dispose();
  }
  x.dispose();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function torchFigures(): { figures: Record<string, number> | null; note: string } {
  const python = '/usr/bin/python3';
  const probe = existsSync(python) ? spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }) : null;
  if (probe === null || probe.status !== 0) {
    return {
      figures: null,
      note: 'PyTorch column skipped: Debian python3-torch is not installed (apt-get install python3-torch)',
    };
  }
  const r = spawnSync(python, [join(packageRoot, 'bench', 'torch_bench.py')], { encoding: 'utf8' });
  if (r.status !== 0)
    return { figures: null, note: `PyTorch run failed: ${r.stderr.trim().split('\n').pop()}` };
  const figures = JSON.parse(r.stdout) as Record<string, number>;
  return {
    figures,
    note: `PyTorch ${figures.torch} (Debian python3-torch), ${figures.threads} threads, parameters frozen`,
  };
}

async function main(): Promise<void> {
  const backend = await initEngine();
  const models = new Map<string, Model>();
  const ours: Record<string, number> = {};
  for (const row of ROWS) {
    if (!models.has(row.model)) models.set(row.model, await loadModel(row.model));
    ours[row.key] = stepMs(models.get(row.model) as Model, row.batch, row.repeats);
    process.stderr.write(`${row.name}: ${ours[row.key].toFixed(1)} ms\n`);
  }
  const torch = torchFigures();
  const lines = [
    `advx ${backend} backend (tfjs 4.22), Node ${process.version}, ${os()}; median ms per PGD step (forward + input gradient)`,
    '',
    '| model | advx (ms/step) | PyTorch (ms/step) | advx / PyTorch |',
    '|---|---:|---:|---:|',
  ];
  for (const row of ROWS) {
    const t = torch.figures?.[row.key];
    lines.push(
      `| ${row.name} | ${ours[row.key].toFixed(1)} | ${t === undefined ? 'n/a' : t.toFixed(1)} | ${t === undefined ? 'n/a' : (ours[row.key] / t).toFixed(2) + 'x'} |`,
    );
  }
  lines.push('', torch.note);
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error) => {
  process.stderr.write(`bench: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
