/**
 * Fuzzing the model file readers (seeded, about 8 s each): mutations of a real model.json (values of its
 * topology and manifest replaced, keys deleted, bytes flipped or cut) read with its weights and built by
 * tfjs, and of real .onnx files decoded, checked and read with their metadata. Each must load or throw a
 * one-line Error naming the file: never crash, hang, or take gigabytes.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { describeFuzz, fuzz, mutate, type Mutator } from '../data/fuzz-testing.js';
import { packageRoot } from '../data/locations.js';
import { initEngine } from '../engine/backend.js';
import type { Rng } from '../engine/random.js';
import { loadNetwork } from './model-files.js';
import { readOnnxFile } from './onnx-file.js';
import { onnxMetadata } from './onnx-metadata.js';

const work = mkdtempSync(join(tmpdir(), 'advx-model-fuzz-'));
const CNN = join(packageRoot, 'models', 'fashion-mnist-cnn');
const ONNX_FILES = [
  join(packageRoot, 'models', 'fashion-mnist-torch', 'model.onnx'),
  join(packageRoot, 'src', 'engine', 'onnx', 'fixtures', 'torch-small-cnn.onnx'),
];
before(() => initEngine());
after(() => rmSync(work, { recursive: true, force: true }));

const VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1,
  3.5,
  65535,
  30_000_000,
  1e9,
  1e300,
  '',
  'x',
  '../../etc/passwd',
  'weights.bin',
  [],
  [1e9, 1e9],
  [null, 28, 28, 1],
  {},
  { class_name: 'Dense', config: { units: 1e9 } },
];

/** Every [container, key] of a JSON value, depth first. */
function slots(value: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []) {
  if (value === null || typeof value !== 'object') return out;
  for (const key of Object.keys(value)) {
    const k = Array.isArray(value) ? Number(key) : key;
    out.push([value as Record<string, unknown>, k]);
    slots((value as Record<string, unknown>)[key], out);
  }
  return out;
}

/** A value of the JSON (topology, manifest, metadata) replaced by a telling one, or its key deleted. */
const jsonValue: Mutator = (bytes, rng) => {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return bytes;
  }
  const all = slots(json);
  for (let k = 1 + rng.int(3); k > 0 && all.length > 0; k--) {
    const [container, key] = all[rng.int(all.length)];
    if (rng.next() < 0.15 && !Array.isArray(container)) delete container[key as string];
    else
      (container as Record<string | number, unknown>)[key] = structuredClone(VALUES[rng.int(VALUES.length)]);
  }
  return Buffer.from(JSON.stringify(json));
};

function caseFolder(i: number): string {
  const dir = join(work, `case-${i}`);
  mkdirSync(dir);
  return dir;
}

test('mutated model.json files load or give one-line errors naming the file', async () => {
  const modelJson = readFileSync(join(CNN, 'model.json'));
  const report = await fuzz({
    seed: Number(process.env.ADVX_FUZZ_SEED ?? 7),
    budgetMs: 8000,
    maxCases: 600,
    input(rng: Rng, i: number) {
      const dir = caseFolder(i);
      copyFileSync(join(CNN, 'weights.bin'), join(dir, 'weights.bin'));
      const bytes = rng.next() < 0.7 ? mutate(modelJson, rng, [jsonValue]) : mutate(modelJson, rng);
      return { name: join(dir, 'model.json'), bytes };
    },
    async parse(bytes, name) {
      writeFileSync(name, bytes);
      try {
        const { net } = await loadNetwork(name);
        net.dispose();
      } finally {
        rmSync(join(name, '..'), { recursive: true, force: true });
      }
    },
  });
  console.log(describeFuzz('model.json', report));
  assert.deepEqual(report.failures.slice(0, 3), []);
  assert.ok(report.cases >= 60, `only ${report.cases} cases ran`);
  assert.ok(report.parsed > 0 && report.refused > 0, 'both outcomes seen');
  assert.ok(report.slowestMs < 5000, `${report.slowest} took ${report.slowestMs} ms`);
  assert.ok(report.peakRssMB < 1500, `peak RSS ${report.peakRssMB} MB`);
});

test('mutated .onnx files decode or give one-line errors naming the file', async () => {
  const seeds = ONNX_FILES.map((f) => readFileSync(f));
  const report = await fuzz({
    seed: Number(process.env.ADVX_FUZZ_SEED ?? 5),
    budgetMs: 8000,
    maxCases: 1500,
    input(rng: Rng, i: number) {
      const seed = seeds[rng.int(seeds.length)];
      // Most of a file is weights: mutate its first and last 4 kB (the graph, names, shapes) as often.
      const region = rng.int(3);
      const bytes =
        region === 2
          ? mutate(seed, rng)
          : region === 0
            ? Buffer.concat([mutate(seed.subarray(0, 4096), rng), seed.subarray(4096)])
            : Buffer.concat([seed.subarray(0, -4096), mutate(seed.subarray(-4096), rng)]);
      return { name: join(caseFolder(i), 'model.onnx'), bytes };
    },
    parse(bytes, name) {
      writeFileSync(name, bytes);
      try {
        onnxMetadata(readOnnxFile(name), name);
      } finally {
        rmSync(join(name, '..'), { recursive: true, force: true });
      }
    },
  });
  console.log(describeFuzz('.onnx', report));
  assert.deepEqual(report.failures.slice(0, 3), []);
  assert.ok(report.cases >= 100, `only ${report.cases} cases ran`);
  assert.ok(report.parsed > 0 && report.refused > 0, 'both outcomes seen');
  assert.ok(report.slowestMs < 3000, `${report.slowest} took ${report.slowestMs} ms`);
  assert.ok(report.peakRssMB < 1500, `peak RSS ${report.peakRssMB} MB`);
});
