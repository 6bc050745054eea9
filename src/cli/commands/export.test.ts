import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Command } from 'commander';
import { tf } from '../../engine/tf.js';
import { onnxVsTfjsError } from '../../engine/onnx/export-tfjs-testing.js';
import { loadFashionMnist } from '../../data/datasets.js';
import { loadTfjsModel } from '../../models/load.js';
import { saveLayersModel } from '../../models/save-model.js';
import { DEFAULT_MODEL } from '../../models/zoo.js';
import { exitCodeOf, UsageError } from '../errors.js';
import { exportOnnxAction, registerExportCommand, type ExportOnnxFlags } from './export.js';

const work = mkdtempSync(join(tmpdir(), 'advx-export-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

const flags = (over: Partial<ExportOnnxFlags>): ExportOnnxFlags => ({
  model: DEFAULT_MODEL,
  out: join(work, 'model.onnx'),
  ...over,
});

/** Runs `advx export onnx ARGS` as main() does (exit override) and returns the exit code and the error line. */
async function run(args: string[]): Promise<{ code: number; message: string }> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
  registerExportCommand(program);
  try {
    await program.parseAsync(['node', 'advx', 'export', 'onnx', ...args]);
    return { code: 0, message: '' };
  } catch (error) {
    return { code: exitCodeOf(error), message: (error as Error).message };
  }
}

test('export onnx: the embedded model, its logits match on real Fashion-MNIST images', async () => {
  const out = join(work, 'fashion.onnx');
  let text = '';
  const summary = await exportOnnxAction(flags({ out }), (s) => (text += s));
  assert.ok(existsSync(out));
  assert.equal(readFileSync(out).length, summary.bytes);
  assert.equal(
    text,
    `${DEFAULT_MODEL} -> ${out} (${summary.bytes} bytes, ${summary.nodes} nodes, opset 17)\n` +
      `input input [N,28,28,1] NHWC, after the model's preprocessing; output output [N,10] logits\n`,
  );
  const model = await loadTfjsModel(DEFAULT_MODEL);
  const data = loadFashionMnist('test', 4);
  const x = tf.tensor4d(data.images, [data.count, ...data.shape]);
  const error = await onnxVsTfjsError(out, model, x);
  console.log(`export onnx ${DEFAULT_MODEL}: max relative error ${error.toExponential(2)} on 4 test images`);
  assert.ok(error <= 1e-4, `max relative error ${error}`);
  x.dispose();
  model.dispose();
});

test('export onnx --json prints the summary as one JSON document', async () => {
  const out = join(work, 'json.onnx');
  let text = '';
  await exportOnnxAction(flags({ out, model: 'mnist-dnn-2', json: true }), (s) => (text += s));
  const summary = JSON.parse(text);
  assert.equal(summary.model, 'mnist-dnn-2');
  assert.equal(summary.path, out);
  assert.deepEqual(summary.outputs, [{ name: 'output', shape: ['N', 10] }]);
});

test('export onnx: bad --model, existing --out without --force, bad --bounds: exit 2 with one line', async () => {
  const existing = join(work, 'existing.onnx');
  writeFileSync(existing, 'keep me');
  const cases: [string[], RegExp][] = [
    [['--model', 'no-such-model', '--out', join(work, 'a.onnx')], /^unknown model 'no-such-model'/],
    [['--out', existing], /exists; refusing to overwrite it \(use --force or another --out\)$/],
    [['--model', join(work, 'nowhere', 'model.json'), '--out', join(work, 'b.onnx')], /no such model file/],
    [['--bounds', '1,0', '--out', join(work, 'c.onnx')], /^--bounds: give LO,HI with LO < HI/],
    [[], /required option '-o, --out <FILE>' not specified/],
  ];
  for (const [args, message] of cases) {
    const { code, message: line } = await run(args);
    assert.equal(code, 2, `${args.join(' ')}: exit code`);
    assert.match(line, message);
    assert.ok(!line.includes('\n'), `${args.join(' ')}: one line`);
  }
  assert.equal(readFileSync(existing, 'utf8'), 'keep me');
  assert.ok(!existsSync(join(work, 'a.onnx')) && !existsSync(join(work, 'b.onnx')));
  await assert.rejects(
    exportOnnxAction(flags({ model: 'no-such-model' })),
    (e: Error) => e instanceof UsageError,
  );
});

test('export onnx: a model with a layer the exporter lacks: exit 2, one line naming model, layer and class', async () => {
  const net = tf.sequential({
    layers: [
      tf.layers.upSampling2d({ inputShape: [4, 4, 1], size: [2, 2], name: 'up' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2 }),
    ],
  });
  const dir = join(work, 'upsampling');
  await saveLayersModel(net, dir);
  net.dispose();
  const out = join(work, 'up.onnx');
  const { code, message } = await run(['--model', join(dir, 'model.json'), '--out', out]);
  assert.equal(code, 2);
  assert.equal(
    message,
    `${join(dir, 'model.json')}: cannot export to ONNX: layer 'up' (UpSampling2D) is not supported`,
  );
  assert.ok(!existsSync(out));
});

test('export onnx --force replaces an existing file', async () => {
  const out = join(work, 'replace.onnx');
  writeFileSync(out, 'old');
  const { code } = await run(['--model', 'mnist-dnn-2', '--out', out, '--force']);
  assert.equal(code, 0);
  assert.notEqual(readFileSync(out, 'utf8'), 'old');
});
