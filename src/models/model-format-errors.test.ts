/**
 * Model files that are not what advx can use get one line naming the file and the problem, on both
 * engines: more than one output, an image-shaped output, advx metadata of the wrong type, a malformed
 * weights manifest, weights that lead outside the folder (also through symbolic links), an unknown layer
 * class; a .json named is the file loaded; and NaN outputs are an error, never a prediction.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { encodeModel, onnx } from '../engine/onnx/proto.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { editModelJson, poisonWeights, tinyOnnx, writeTinyLayersModel } from './bad-models-testing.js';
import { loadModel, type EngineChoice } from './load.js';
import { predictLabels, topPredictions } from './model.js';

const work = mkdtempSync(join(tmpdir(), 'advx-model-errors-'));
const cacheDir = join(work, 'cache');
before(() => initEngine());
after(() => rmSync(work, { recursive: true, force: true }));

const ENGINES: EngineChoice[] = ['tfjs', 'onnx'];
let folders = 0;

/** A fresh copy of a tiny model of `variant`; returns its folder. */
async function tinyFolder(variant: Parameters<typeof writeTinyLayersModel>[1] = 'classifier', classes = 3) {
  const dir = join(work, `m${folders++}`);
  await writeTinyLayersModel(dir, variant, classes);
  return dir;
}

/** Rejects with exactly one line that matches `pattern`. */
async function rejectsOneLine(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: Error) => {
    assert.doesNotMatch(error.message, /\n/, `more than one line: ${error.message}`);
    assert.match(error.message, pattern);
    return true;
  });
}

test('a layers model with two outputs or an image-shaped output is refused, naming the model', async () => {
  const two = await tinyFolder('two-outputs');
  const image = await tinyFolder('image-output');
  for (const engine of ENGINES) {
    await rejectsOneLine(
      loadModel(two, { engine, cacheDir }),
      /model.json: the network has 2 outputs; advx needs one, the class scores \[N,K\]$/,
    );
    await rejectsOneLine(
      loadModel(image, { engine, cacheDir }),
      engine === 'tfjs'
        ? /model m\d+: output shape \[N,4,4,3\] is not class scores \[N,K\]$/
        : /model.json: output 'output' has shape \[\?,4,4,3\], not class scores \[N,K\]$/,
    );
  }
});

test('advx metadata of the wrong type is an error naming the key, not ignored', async () => {
  const cases: [string, (json: Record<string, unknown>) => void, RegExp][] = [
    [
      'preprocessing a number',
      (j) => ((j.advx as Record<string, unknown>).preprocessing = 42),
      /advx.preprocessing must be a name or an object .*\(got 42\)/,
    ],
    [
      'preprocessing unknown',
      (j) => ((j.advx as Record<string, unknown>).preprocessing = 'imagenet'),
      /advx.preprocessing must be one of none, tf, caffe, torch/,
    ],
    [
      'preprocessing key',
      (j) => ((j.advx as Record<string, unknown>).preprocessing = { means: [1, 2, 3] }),
      /advx.preprocessing has an unknown key 'means'/,
    ],
    [
      'std zero',
      (j) => ((j.advx as Record<string, unknown>).preprocessing = { std: 0 }),
      /advx.preprocessing.std must be .*non-zero/,
    ],
    [
      'bounds a string',
      (j) => ((j.advx as Record<string, unknown>).bounds = '0,255'),
      /advx.bounds must be \[LO, HI\], two numbers with LO < HI \(got "0,255"\)/,
    ],
    [
      'bounds reversed',
      (j) => ((j.advx as Record<string, unknown>).bounds = [1, 0]),
      /advx.bounds must be \[LO, HI\]/,
    ],
    [
      'labels',
      (j) => ((j.advx as Record<string, unknown>).labels = 'a,b,c'),
      /advx.labels must be a list of class names/,
    ],
    ['advx a list', (j) => (j.advx = [1]), /advx must be an object/],
  ];
  const base = await tinyFolder();
  for (const [name, edit, pattern] of cases) {
    const dir = join(work, `meta-${name.replace(/\W/g, '-')}`);
    cpSync(base, dir, { recursive: true });
    editModelJson(join(dir, 'model.json'), edit);
    for (const engine of ENGINES)
      await rejectsOneLine(loadModel(dir, { engine, cacheDir }), new RegExp(`model.json: ${pattern.source}`));
  }
});

test('a malformed weights manifest is named precisely', async () => {
  type Group = Record<string, unknown>;
  const group = (j: Record<string, unknown>) => (j.weightsManifest as Group[])[0];
  const cases: [string, (json: Record<string, unknown>) => void, RegExp][] = [
    [
      'no weights',
      (j) => delete group(j).weights,
      /weightsManifest\[0\].weights must be a list \(got undefined\)/,
    ],
    [
      'no shape',
      (j) => delete (group(j).weights as Group[])[1].shape,
      /weightsManifest\[0\].weights\[1\] \('.*'\) has no shape/,
    ],
    [
      'paths string',
      (j) => (group(j).paths = 'weights.bin'),
      /weightsManifest\[0\].paths must be a list of file names \(got a string\)/,
    ],
    [
      'bad dtype',
      (j) => ((group(j).weights as Group[])[0].dtype = 'float64'),
      /has an unknown dtype 'float64'/,
    ],
    [
      'huge shape',
      (j) => ((group(j).weights as Group[])[0].shape = [1e9, 1e9]),
      /hold \d+ bytes, the manifest declares 4e\+18|hold \d+ bytes, the manifest declares/,
    ],
    ['no manifest', (j) => delete j.weightsManifest, /no weightsManifest list/],
    ['no topology', (j) => delete j.modelTopology, /not a TensorFlow.js model.json \(no modelTopology\)/],
  ];
  const base = await tinyFolder();
  for (const [name, edit, pattern] of cases) {
    const dir = join(work, `manifest-${name.replace(/\W/g, '-')}`);
    cpSync(base, dir, { recursive: true });
    editModelJson(join(dir, 'model.json'), edit);
    for (const engine of ENGINES) await rejectsOneLine(loadModel(dir, { engine, cacheDir }), pattern);
  }
});

test('an unknown layer class is one line naming it', async () => {
  const dir = await tinyFolder();
  editModelJson(join(dir, 'model.json'), (j) => {
    const layers = (j.modelTopology as { config: { layers: { class_name: string }[] } }).config.layers;
    layers[layers.length - 1].class_name = 'NoSuchLayer';
  });
  for (const engine of ENGINES)
    await rejectsOneLine(
      loadModel(dir, { engine, cacheDir }),
      /model.json: could not build the model \(Unknown layer: NoSuchLayer\)$/,
    );
});

test('a layer declaring more units than the weights hold is refused before tfjs allocates it', async () => {
  const dir = await tinyFolder();
  editModelJson(join(dir, 'model.json'), (j) => {
    const layers = (j.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config
      .layers;
    layers[layers.length - 1].config.units = 30_000_000;
  });
  const started = performance.now();
  for (const engine of ENGINES)
    await rejectsOneLine(
      loadModel(dir, { engine, cacheDir }),
      /model.json: layer 'dense_\w+' \(Dense\) declares units 30000000, more than the 51 weight values of the model$/,
    );
  assert.ok(performance.now() - started < 2000, 'refused at once');
});

test('--model dir/other.json loads other.json, not dir/model.json', async () => {
  const dir = await tinyFolder('classifier', 3);
  const other = await tinyFolder('classifier', 5);
  cpSync(join(other, 'model.json'), join(dir, 'other.json'));
  cpSync(join(other, 'weights.bin'), join(dir, 'weights.bin'));
  // model.json now has the wrong weights size: loading it fails, loading other.json must not.
  for (const engine of ENGINES) {
    const model = await loadModel(join(dir, 'other.json'), { engine, cacheDir });
    assert.equal(model.numClasses, 5, `${engine}: the named file was loaded`);
    model.dispose();
    await rejectsOneLine(
      loadModel(dir, { engine, cacheDir }),
      /model.json: weights of group \[weights.bin\] hold/,
    );
  }
});

test('weights that lead outside the model folder through a symbolic link are refused (file and folder links)', async () => {
  const outside = await tinyFolder();
  const linkedFile = await tinyFolder();
  rmSync(join(linkedFile, 'weights.bin'));
  symlinkSync(join(outside, 'weights.bin'), join(linkedFile, 'weights.bin'));
  const linkedDir = await tinyFolder();
  symlinkSync(outside, join(linkedDir, 'sub'));
  editModelJson(
    join(linkedDir, 'model.json'),
    (j) => ((j.weightsManifest as { paths: string[] }[])[0].paths = ['sub/weights.bin']),
  );
  for (const engine of ENGINES) {
    await rejectsOneLine(
      loadModel(linkedFile, { engine, cacheDir }),
      /weights path 'weights.bin' escapes the model folder \(through a symbolic link\)/,
    );
    await rejectsOneLine(
      loadModel(linkedDir, { engine, cacheDir }),
      /weights path 'sub\/weights.bin' escapes the model folder \(through a symbolic link\)/,
    );
  }
  // A link that stays inside the folder is fine, and so is a model folder that is itself a link.
  const inside = await tinyFolder();
  mkdirSync(join(inside, 'shards'));
  cpSync(join(inside, 'weights.bin'), join(inside, 'shards', 'w.bin'));
  rmSync(join(inside, 'weights.bin'));
  symlinkSync(join(inside, 'shards', 'w.bin'), join(inside, 'weights.bin'));
  symlinkSync(inside, join(work, 'linked-model'));
  const model = await loadModel(join(work, 'linked-model'), { engine: 'tfjs' });
  assert.equal(model.numClasses, 3);
  model.dispose();
});

test('weights that are a folder, and a model.json too large to be one, are refused unread', async () => {
  const dir = await tinyFolder();
  rmSync(join(dir, 'weights.bin'));
  mkdirSync(join(dir, 'weights.bin'));
  await rejectsOneLine(
    loadModel(dir, { engine: 'tfjs' }),
    /weights path 'weights.bin' is not a regular file/,
  );
  const big = await tinyFolder();
  truncateSync(join(big, 'model.json'), 40 * 2 ** 20); // sparse
  await rejectsOneLine(loadModel(big, { engine: 'tfjs' }), /model.json: 42 MB is too large for a model.json/);
});

test('a model whose outputs are NaN is an error when predicting, on both engines, with no tensor leaked', async () => {
  const dir = await tinyFolder();
  poisonWeights(dir);
  const x = tf.fill([2, 4, 4, 1], 0.5) as Tensor4D;
  for (const engine of ENGINES) {
    const model = await loadModel(dir, { engine, cacheDir });
    const before = tf.memory().numTensors;
    await rejectsOneLine(
      predictLabels(model, x),
      /model m\d+: its output for input 0 \(and 1 more of 2\) is NaN or infinite/,
    );
    await rejectsOneLine(topPredictions(model, x), /is NaN or infinite/);
    assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
    model.dispose();
  }
  x.dispose();
});

test('.onnx files: two outputs, an image-shaped output, NaN weights and bad metadata are clear errors', async () => {
  const write = (name: string, bytes: Uint8Array) => {
    const file = join(work, `${name}.onnx`);
    writeFileSync(file, bytes);
    return file;
  };
  const good = await loadModel(write('good', tinyOnnx()));
  assert.equal(good.numClasses, 3);
  good.dispose();
  await rejectsOneLine(
    loadModel(write('two', tinyOnnx('two-outputs'))),
    /two.onnx: the graph has 2 outputs \('logits', 'scores'\); advx needs one/,
  );
  await rejectsOneLine(
    loadModel(write('image', tinyOnnx('image-output'))),
    /image.onnx: output 'y' has shape \[\?,4,4,1\], not class scores \[N,K\]/,
  );
  const proto = onnx.ModelProto.decode(tinyOnnx());
  proto.metadataProps.push(
    onnx.StringStringEntryProto.create({ key: 'advx.preprocessing', value: '{"mean":"x"}' }),
  );
  await rejectsOneLine(
    loadModel(write('meta', encodeModel(proto))),
    /meta.onnx: metadata 'advx.preprocessing'.mean must be a number or a list of up to 4 finite numbers \(got "x"\)$/,
  );
  const nan = await loadModel(write('nan', tinyOnnx('nan-weights')));
  const x = tf.zeros([1, 4, 4, 1]) as Tensor4D;
  await rejectsOneLine(predictLabels(nan, x), /model nan: its output for input 0 is NaN or infinite/);
  nan.dispose();
  x.dispose();
});
