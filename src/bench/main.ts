/**
 * `npm run bench`: ms per PGD step (forward + input gradient) for the embedded CNN at batch 128, MobileNet
 * at batch 1 and 8, and ResNet-50 at batch 1, 8 and 32, measured in ONE run, side by side: advx on ONNX
 * Runtime with 1 thread and with all threads, advx on tfjs-wasm, and PyTorch (Debian python3-torch) with 1
 * thread and all threads, each measurement in a process of its own (its peak RSS beside it). Prints a
 * markdown table for the README with the machine's load average before and after: a ratio measured under
 * load is not a result. Not a test.
 *
 *   npm run bench [-- ROW ...]     ROW: cnn_128 mobilenet_1 mobilenet_8 resnet50_1 resnet50_8 resnet50_32
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { os } from './os-info.js';
import { packageRoot } from '../data/locations.js';

interface Row {
  key: string;
  name: string;
  model: string;
  batch: number;
  repeats: number;
  /** tfjs-wasm cannot run it (say why instead of measuring). */
  tfjsSkip?: string;
}

const ROWS: Row[] = [
  { key: 'cnn_128', name: 'embedded CNN, batch 128', model: 'fashion-mnist-cnn', batch: 128, repeats: 20 },
  {
    key: 'mobilenet_1',
    name: 'MobileNet v1 0.75, batch 1',
    model: 'mobilenet-v1-0.75',
    batch: 1,
    repeats: 20,
  },
  {
    key: 'mobilenet_8',
    name: 'MobileNet v1 0.75, batch 8',
    model: 'mobilenet-v1-0.75',
    batch: 8,
    repeats: 8,
  },
  { key: 'resnet50_1', name: 'ResNet-50, batch 1', model: 'resnet50', batch: 1, repeats: 8 },
  { key: 'resnet50_8', name: 'ResNet-50, batch 8', model: 'resnet50', batch: 8, repeats: 4 },
  {
    key: 'resnet50_32',
    name: 'ResNet-50, batch 32',
    model: 'resnet50',
    batch: 32,
    repeats: 2,
    tfjsSkip: 'wasm 32-bit heap',
  },
];

interface Measurement {
  ms: number;
  peakRssMb: number;
}

type Cell = Measurement | { error: string };

const THREADS = availableParallelism();

function advxStep(row: Row, engine: 'onnx' | 'tfjs', threads: number): Cell {
  const script = join(packageRoot, 'dist', 'bench', 'step.js');
  const args = [script, row.model, String(row.batch), engine, String(threads), String(row.repeats)];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0)
    return { error: (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`).slice(0, 80) };
  return JSON.parse(r.stdout) as Measurement;
}

const PYTHON = '/usr/bin/python3';

function torchStep(row: Row, threads: number): Cell {
  if (!existsSync(PYTHON)) return { error: 'no /usr/bin/python3' };
  const r = spawnSync(PYTHON, [join(packageRoot, 'bench', 'torch_bench.py'), String(threads), row.key], {
    encoding: 'utf8',
  });
  if (r.status !== 0)
    return { error: (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`).slice(0, 80) };
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  return { ms: out[row.key] as number, peakRssMb: out.peak_rss_mb as number };
}

function torchVersion(): string {
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'not installed';
}

const fmt = (c: Cell) => ('error' in c ? `n/a (${c.error})` : c.ms.toFixed(1));
const mem = (c: Cell) => ('error' in c ? '' : ` (${Math.round(c.peakRssMb)} MB)`);
const ratio = (a: Cell, b: Cell) => ('error' in a || 'error' in b ? 'n/a' : `${(a.ms / b.ms).toFixed(2)}x`);
const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');

function main(): void {
  const wanted = process.argv.slice(2);
  const rows = wanted.length === 0 ? ROWS : ROWS.filter((r) => wanted.includes(r.key));
  const loadBefore = load();
  const lines = [
    '| PGD step, ms (peak RSS) | advx ONNX 1 thread | advx ONNX ' +
      `${THREADS} threads | advx tfjs-wasm | PyTorch 1 thread | PyTorch ${THREADS} threads | ONNX/PyTorch 1 thread | ONNX/PyTorch ${THREADS} threads |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const onnx1 = advxStep(row, 'onnx', 1);
    const onnxN = advxStep(row, 'onnx', THREADS);
    const wasm: Cell = row.tfjsSkip ? { error: row.tfjsSkip } : advxStep(row, 'tfjs', 1);
    const torch1 = torchStep(row, 1);
    const torchN = torchStep(row, THREADS);
    const cells = [onnx1, onnxN, wasm, torch1, torchN].map((c) => fmt(c) + mem(c));
    const line = `| ${row.name} | ${cells.join(' | ')} | ${ratio(onnx1, torch1)} | ${ratio(onnxN, torchN)} |`;
    process.stderr.write(line + '\n');
    lines.push(line);
  }
  lines.push(
    '',
    `Median ms per step (forward + input gradient of the summed cross-entropy), each cell its own process; ` +
      `${os()}, Node ${process.version}, onnxruntime-node 1.30, tfjs 4.22 (wasm), PyTorch ${torchVersion()} ` +
      `(Debian python3-torch, parameters frozen, torchvision's ResNet-50 for PyTorch, the Keras one for advx). ` +
      `Load average (1, 5, 15 min) before: ${loadBefore}; after: ${load()}.`,
  );
  process.stdout.write(lines.join('\n') + '\n');
}

main();
