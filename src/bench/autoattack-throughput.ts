/**
 * `node dist/bench/autoattack-throughput.js [CNN_IMAGES] [PHOTOS]`: AutoAttack 'standard' throughput in
 * images per minute, as `advx evaluate --protocol autoattack` runs it (clean pass, APGD-CE, APGD-T, FAB-T,
 * Square 5000, each on the points still robust), on ONNX Runtime with all threads:
 * - the embedded robust CNN (fashion-mnist-cnn-robust) on the first CNN_IMAGES (default 100) Fashion-MNIST
 *   test images at Linf eps 0.1;
 * - ResNet-50 on the first PHOTOS (default 4) ImageNet sample photos at Linf eps 4/255.
 * The rate counts every image, robust or not (the attacks only run on the still-robust ones, so a model
 * that is easy to fool is fast to evaluate): robust accuracy and each attack's seconds are printed beside
 * it. Prints a markdown table and the load average before and after. Not a test.
 */
import { loadavg } from 'node:os';
import { initEngine } from '../engine/backend.js';
import { evaluate } from '../evaluation/evaluate.js';
import type { EvaluationResult } from '../evaluation/evaluation-result.js';
import type { DatasetSelection } from '../evaluation/evaluation-data.js';
import type { EvaluationNorm } from '../evaluation/protocols.js';
import { loadModel } from '../models/load.js';
import { os } from './os-info.js';

interface Case {
  model: string;
  data: DatasetSelection;
  norm: EvaluationNorm;
  eps: number;
  epsText: string;
  batchSize: number;
}

const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');

async function measure(c: Case): Promise<{ result: EvaluationResult; seconds: number }> {
  const model = await loadModel(c.model);
  try {
    const start = performance.now();
    const result = await evaluate(model, c.data, 'autoattack', {
      norm: c.norm,
      eps: c.eps,
      batchSize: c.batchSize,
    });
    return { result, seconds: (performance.now() - start) / 1000 };
  } finally {
    model.dispose();
  }
}

async function main(): Promise<void> {
  const [cnnImages = 100, photos = 4] = process.argv.slice(2).map(Number);
  await initEngine();
  const cases: Case[] = [
    {
      model: 'fashion-mnist-cnn-robust',
      data: { dataset: 'fashion-mnist', images: cnnImages },
      norm: 'linf',
      eps: 0.1,
      epsText: '0.1',
      batchSize: 100,
    },
    {
      model: 'resnet50',
      data: { dataset: 'imagenet-samples', images: photos },
      norm: 'linf',
      eps: 4 / 255,
      epsText: '4/255',
      batchSize: photos,
    },
  ];
  const loadBefore = load();
  const lines = [
    '| AutoAttack standard | images | Linf eps | clean | robust | seconds | images/min | per attack (s) |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const c of cases) {
    const { result, seconds } = await measure(c);
    const attacks = result.attacks.map((a) => `${a.name} ${a.seconds.toFixed(1)}`).join(', ');
    const line =
      `| ${c.model} | ${result.images} | ${c.epsText} | ${(result.cleanAccuracy * 100).toFixed(1)}% | ` +
      `${(result.robustAccuracy * 100).toFixed(1)}% | ${seconds.toFixed(1)} | ` +
      `${((result.images / seconds) * 60).toFixed(1)} | ${attacks} |`;
    process.stderr.write(line + '\n');
    lines.push(line);
  }
  lines.push(
    '',
    `ONNX Runtime, all threads; ${os()}, Node ${process.version}. ` +
      `Load average (1, 5, 15 min) before: ${loadBefore}; after: ${load()}.`,
  );
  process.stdout.write(lines.join('\n') + '\n');
}

await main();
