/**
 * Writers of the transferability experiment on a real (small) run on the 8x8 digits: the CSV has one row
 * per source and one column per target, the JSON round-trips, the table and the heatmap PNG show every
 * cell, and a source with no successful adversarial example gives empty / n/a cells.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { PNG } from 'pngjs';
import { initEngine } from '../engine/backend.js';
import {
  loadTransferData,
  transferExperiment,
  type TransferData,
  type TransferExperimentResult,
} from './transfer.js';
import {
  transferCsv,
  transferFiles,
  transferHeatmap,
  transferHeatmapSpec,
  transferJson,
  transferSummary,
  transferTable,
} from './transfer-writers.js';

let digits: TransferData;
let result: TransferExperimentResult;

before(async () => {
  await initEngine();
  digits = loadTransferData('digits', { seed: 1 });
  result = await transferExperiment(digits, {
    models: ['lr', 'svm', 'tree'],
    attack: 'fgsm',
    eps: 0.25,
    samples: 80,
    seed: 1,
  });
});

/** Splits one CSV line (no quoted commas in the numeric part, which is all these tests read). */
function cells(line: string): string[] {
  return (
    line
      .match(/("([^"]|"")*"|[^,]*)(,|$)/g)
      ?.map((c) => c.replace(/,$/, ''))
      .slice(0, -1) ?? []
  );
}

test('CSV: one row per source, one column per target (percent), then clean accuracy and the source counts', () => {
  const lines = transferCsv(result).trimEnd().split('\n');
  const header = cells(lines[0]);
  assert.deepEqual(header, [
    'source',
    'lr',
    'svm',
    'tree',
    'clean_accuracy',
    'attacked',
    'successful',
    'method',
  ]);
  assert.equal(lines.length, 1 + result.sources.length, 'one row per source');
  for (const [s, line] of lines.slice(1).entries()) {
    const row = cells(line);
    assert.equal(row.length, header.length);
    assert.equal(row[0], result.models[s]);
    for (let t = 0; t < result.models.length; t++) {
      const expected = result.matrix[s][t] as number;
      assert.ok(
        Math.abs(Number(row[1 + t]) - 100 * expected) < 0.006,
        `cell ${s},${t}: ${row[1 + t]} vs ${expected}`,
      );
    }
    assert.ok(Math.abs(Number(row[4]) - 100 * result.cleanAccuracy[s]) < 0.006);
    assert.equal(Number(row[5]), result.sources[s].attacked);
    assert.equal(Number(row[6]), result.sources[s].successful);
  }
  assert.deepEqual(transferFiles('digits'), {
    csv: 'transfer-digits.csv',
    json: 'transfer-digits.json',
    png: 'transfer-digits.png',
  });
});

test('JSON round-trips the result; the table has the matrix, the source success and a clean-accuracy row', () => {
  const parsed = JSON.parse(transferJson(result)) as TransferExperimentResult;
  assert.deepEqual(parsed.matrix, result.matrix);
  assert.deepEqual(parsed.models, ['lr', 'svm', 'tree']);
  assert.equal(parsed.examples, undefined);
  const { head, rows } = transferTable(result);
  assert.deepEqual(head, ['source \\ target', 'lr', 'svm', 'tree', 'fooled source']);
  assert.equal(rows.length, 4);
  assert.equal(rows[0][1], '100.0%');
  assert.equal(rows[3][0], 'clean accuracy');
  assert.equal(rows[3][1], `${(100 * result.cleanAccuracy[0]).toFixed(1)}%`);
  assert.match(rows[2][4], new RegExp(`^${result.sources[2].successful}/${result.sources[2].attacked} `));
  assert.match(
    transferSummary(result)[0],
    /FGSM eps 0\.25 on digits \(1437 training images, 80 of 360 test images attacked, seed 1\)/,
  );
});

test('heatmap: a rect and a text layer over every (source, target) cell; a PNG of sensible size', async () => {
  const spec = transferHeatmapSpec(result) as unknown as {
    data: { values: { rate: number; text: string }[] };
    layer: { mark: { type: string } }[];
  };
  assert.equal(spec.data.values.length, 9);
  assert.deepEqual(
    spec.layer.map((l) => l.mark.type),
    ['rect', 'text'],
  );
  const { svg, png } = await transferHeatmap(result);
  assert.match(svg, /<svg/);
  for (const v of spec.data.values) assert.ok(svg.includes(`>${v.text}<`), `cell text ${v.text} in the SVG`);
  assert.match(svg, /lr \(\d+\.\d%\)/, 'clean accuracy in the column labels');
  const image = PNG.sync.read(png);
  assert.ok(image.width > 400 && image.height > 300, `${image.width}x${image.height}`);
});

test('a source with no successful adversarial example: empty CSV cells, n/a in the table and the heatmap', async () => {
  // The tree attack moves a feature a margin (1e-3) past its threshold, so within eps 1e-4 it never succeeds.
  const none = await transferExperiment(digits, { models: ['tree', 'lr'], eps: 1e-4, samples: 40, seed: 1 });
  assert.equal(none.sources[0].successful, 0);
  assert.deepEqual(none.matrix[0], [null, null]);
  const row = cells(transferCsv(none).split('\n')[1]);
  assert.deepEqual(row.slice(0, 3), ['tree', '', '']);
  assert.deepEqual(transferTable(none).rows[0].slice(1, 3), ['n/a', 'n/a']);
  const { svg } = await transferHeatmap(none);
  assert.ok(svg.includes('>n/a<'));
});
