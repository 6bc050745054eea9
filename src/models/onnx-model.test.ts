/**
 * ONNX models on ONNX Runtime through the model seam, checked against their tfjs twin (the same
 * PyTorch-trained weights written as a TensorFlow.js layers model, models/fashion-mnist-torch): logits,
 * every loss kind's value and input gradient, FGSM pixels; and the clear errors of bad ONNX files.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FGSM } from '../attacks/gradient-descent.js';
import { loadFashionMnist } from '../data/datasets.js';
import { packageRoot } from '../data/locations.js';
import { encodeModel, floatTensor, makeNode, OPSET, valueInfo, onnx } from '../engine/onnx/proto.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { loadModel } from './load.js';
import type { Loss } from './loss.js';
import { disposeLossGradient, type Model } from './model.js';

const TWIN = join(packageRoot, 'models', 'fashion-mnist-torch');
const N = 8;
const work = mkdtempSync(join(tmpdir(), 'advx-onnx-model-'));
let onnxModel: Model;
let tfjsModel: Model;
let x: Tensor4D;
let labels: number[];

before(async () => {
  onnxModel = await loadModel(join(TWIN, 'model.onnx'), { bounds: [0, 1] });
  tfjsModel = await loadModel(join(TWIN, 'tfjs', 'model.json'), { engine: 'tfjs' });
  const data = loadFashionMnist('test', N);
  x = tf.tensor4d(data.images, [N, 28, 28, 1]);
  labels = Array.from(data.labels);
});
after(() => {
  onnxModel.dispose();
  tfjsModel.dispose();
  x.dispose();
  rmSync(work, { recursive: true, force: true });
});

/** max |a - b| / max |b|. */
function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(b)).dataSync()[0]);
}

test('an .onnx file exported from PyTorch: NCHW read from the graph, labels from the sidecar, logits as its tfjs twin', async () => {
  assert.equal(onnxModel.engine, 'onnx');
  assert.deepEqual([...onnxModel.inputShape], [28, 28, 1]);
  assert.equal(onnxModel.numClasses, 10);
  assert.equal(onnxModel.labels[9], 'Ankle boot');
  const a = await onnxModel.logits(x);
  const b = await tfjsModel.logits(x);
  const error = relativeError(a, b);
  console.log(`logits: ONNX Runtime vs tfjs twin, max relative error ${error.toExponential(2)}`);
  assert.ok(error < 1e-5, `relative error ${error}`);
  tf.dispose([a, b]);
});

test('every loss kind: ONNX generated-gradient values and input gradients equal the tfjs twin', async () => {
  const targets = labels.map((l) => (l + 3) % 10);
  const weights = new Float32Array(N * 10).map((_, i) => ((i * 7) % 5) - 2);
  const losses: Loss[] = [
    { kind: 'crossentropy', labels, targeted: false },
    { kind: 'crossentropy', labels: targets, targeted: true },
    { kind: 'margin', labels, targeted: false },
    { kind: 'margin', labels: targets, targeted: true },
    { kind: 'dlr', labels },
    { kind: 'dlr-targeted', labels, targets },
    { kind: 'logits', weights },
  ];
  const start = tf.memory().numTensors;
  for (const loss of losses) {
    const a = await onnxModel.lossGradient(x, loss);
    const b = await tfjsModel.lossGradient(x, loss);
    const errors = [relativeError(a.gradient, b.gradient), relativeError(a.loss, b.loss)];
    console.log(
      `${loss.kind}${'targeted' in loss && loss.targeted ? ' (targeted)' : ''}: gradient ${errors[0].toExponential(2)}, loss ${errors[1].toExponential(2)}`,
    );
    assert.ok(errors[0] < 1e-4 && errors[1] < 1e-4, `${loss.kind}: relative errors ${errors}`);
    assert.ok(relativeError(a.logits, b.logits) < 1e-5);
    disposeLossGradient(a);
    disposeLossGradient(b);
  }
  assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
});

test('FGSM on the ONNX export of a PyTorch-trained model gives the same pixels as on its tfjs twin', async () => {
  const data = loadFashionMnist('test', 64);
  const batch = tf.tensor4d(data.images, [64, 28, 28, 1]);
  const y = Array.from(data.labels);
  const a = await new FGSM().run(onnxModel, batch, y, { epsilons: 0.1 });
  const b = await new FGSM().run(tfjsModel, batch, y, { epsilons: 0.1 });
  assert.deepEqual(a.success, b.success, 'the same inputs are fooled');
  // Pixels can only differ where the gradient is within float rounding of zero: its sign is then noise.
  const gradient = await tfjsModel.lossGradient(batch, { kind: 'crossentropy', labels: y, targeted: false });
  const [pa, pb, g] = [a.clipped.dataSync(), b.clipped.dataSync(), gradient.gradient.dataSync()];
  const scale = tf.tidy(() => tf.max(tf.abs(gradient.gradient)).dataSync()[0]);
  let differing = 0;
  for (let i = 0; i < pa.length; i++) {
    if (pa[i] === pb[i]) continue;
    differing++;
    assert.ok(Math.abs(g[i]) < 1e-5 * scale, `pixel ${i} differs where the gradient is ${g[i]}`);
  }
  console.log(
    `FGSM eps 0.1: ${pa.length - differing}/${pa.length} pixels identical, ${a.success.filter(Boolean).length}/64 fooled on both engines`,
  );
  assert.ok(differing <= pa.length * 1e-3, `${differing} pixels differ`);
  tf.dispose([batch, a.raw, a.clipped, b.raw, b.clipped]);
  disposeLossGradient(gradient);
});

/** A one-node graph `y = op(x W)` with x [N,4] ... as a 2x2 "image" classifier: [N,2,2,1] -> [N,3]. */
function tinyGraph(extra: onnx.INodeProto[] = [], extraOutput = 'logits'): Uint8Array {
  const w = new Float32Array(12).map((_, i) => (i % 5) - 2);
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: 'tiny',
      node: [
        makeNode('Flatten', ['x'], ['flat'], { axis: 1 }),
        makeNode('MatMul', ['flat', 'w'], [extra.length === 0 ? 'logits' : 'z']),
        ...extra,
      ],
      initializer: [floatTensor('w', [4, 3], w)],
      input: [valueInfo('x', ['N', 2, 2, 1])],
      output: [valueInfo(extraOutput, ['N', 3])],
    },
  });
}

test('bad ONNX files: corrupt bytes, an unsupported op (named), external data outside the folder', async () => {
  const corrupt = join(work, 'corrupt.onnx');
  writeFileSync(corrupt, Buffer.from('this is not a protobuf at all \u0000\u00ff'));
  await assert.rejects(loadModel(corrupt), /corrupt\.onnx: not a valid ONNX file/);

  const unsupported = join(work, 'unsupported.onnx');
  writeFileSync(unsupported, tinyGraph([makeNode('Sin', ['z'], ['logits'])]));
  const model = await loadModel(unsupported, { layout: 'NHWC' });
  const probe = tf.zeros([1, 2, 2, 1]) as Tensor4D;
  const logits = await model.logits(probe); // inference needs no gradient
  assert.deepEqual(logits.shape, [1, 3]);
  await assert.rejects(
    model.lossGradient(probe, { kind: 'crossentropy', labels: [0], targeted: false }),
    /ONNX op 'Sin'.*not supported/,
  );
  tf.dispose([probe, logits]);
  model.dispose();

  // A weight stored as external data that points outside the model's folder, directly or by a symlink.
  const folder = join(work, 'external');
  mkdirSync(folder);
  writeFileSync(join(work, 'secret.bin'), Buffer.alloc(48));
  symlinkSync(join(work, 'secret.bin'), join(folder, 'weights.bin'));
  const proto = onnx.ModelProto.decode(tinyGraph());
  const initializer = (proto.graph as onnx.GraphProto).initializer[0];
  for (const location of ['../secret.bin', 'weights.bin']) {
    initializer.rawData = new Uint8Array(0);
    initializer.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    initializer.externalData = [onnx.StringStringEntryProto.create({ key: 'location', value: location })];
    const file = join(folder, 'model.onnx');
    writeFileSync(file, encodeModel(proto));
    await assert.rejects(loadModel(file, { layout: 'NHWC' }), /lies outside the model's folder/);
  }
});
