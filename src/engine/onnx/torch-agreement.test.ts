/**
 * Agreement with PyTorch on torch-exported graphs (max relative error <= 1e-4, as src/reference measures it):
 *
 * - always: the committed fixture of scripts/make_onnx_grad_fixture.py (a small CNN with BatchNormalization,
 *   depthwise stride-2 Conv, ReLU6, LeakyReLU, padded MaxPool, residual add, Concat, AvgPool, Linear) and
 *   torch's float64 logits, losses and input gradients for every loss kind, on inputs kept away from every
 *   ReLU kink and max-pool tie;
 * - when Debian's python3-torch is there: PyTorch differentiating the same ONNX graphs live
 *   (scripts/torch_reference.py, float64), including models/fashion-mnist-torch.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { embeddedModelsDir, packageRoot } from '../../data/locations.js';
import type { Loss, LossKind } from '../../models/loss.js';
import { maxRelativeError } from '../../reference/relative-error.js';
import { torchAvailable, torchReferenceBatch } from '../../reference/torch-reference.js';
import { classifierGraph } from './classifier-graph.js';
import { gradientModel } from './gradient-model.js';
import { sampleLoss } from './gradient-testing.js';
import { lossFeeds } from './loss-feeds.js';
import { decodeModel, encodeModel, type onnx } from './proto.js';
import { createSession, runSession } from './session.js';

const fixtures = join(packageRoot, 'src', 'engine', 'onnx', 'fixtures');

interface Fixture {
  shape: [number, number, number, number];
  classes: number;
  pixels: string;
  labels: number[];
  targets: number[];
  weights: string;
  logits: string;
  cases: { kind: LossKind; targeted: boolean; loss: number[]; gradient: string }[];
}

const floats = (base64: string) => {
  const bytes = Buffer.from(base64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};

function lossOf(kind: LossKind, targeted: boolean, fixture: Fixture): Loss {
  switch (kind) {
    case 'crossentropy':
    case 'margin':
      return { kind, labels: fixture.labels, targeted };
    case 'dlr':
      return { kind, labels: fixture.labels };
    case 'dlr-targeted':
      return { kind, labels: fixture.labels, targets: fixture.targets };
    case 'logits':
      return { kind, weights: floats(fixture.weights) };
  }
}

/** logits, loss and gradient of our gradient graph for NHWC `pixels`. */
async function ours(
  classifier: onnx.IModelProto,
  loss: Loss,
  pixels: Float32Array,
  shape: readonly number[],
  classes: number,
) {
  const session = await createSession(encodeModel(gradientModel(classifier, loss.kind)));
  try {
    return await runSession(session, {
      pixels: { data: pixels, dims: shape },
      ...lossFeeds(loss, shape[0], classes),
    });
  } finally {
    await session.release();
  }
}

test('the torch-exported fixture: logits, losses and input gradients agree with PyTorch (float64)', async (t) => {
  const fixture = JSON.parse(readFileSync(join(fixtures, 'torch-small-cnn.json'), 'utf8')) as Fixture;
  const model = decodeModel(readFileSync(join(fixtures, 'torch-small-cnn.onnx')), 'torch-small-cnn.onnx');
  const classifier = classifierGraph(model, { layout: 'NCHW' });
  const pixels = floats(fixture.pixels);
  for (const c of fixture.cases) {
    const out = await ours(
      classifier,
      lossOf(c.kind, c.targeted, fixture),
      pixels,
      fixture.shape,
      fixture.classes,
    );
    const errors = {
      logits: maxRelativeError(out.logits.data, floats(fixture.logits)),
      loss: maxRelativeError(out.loss.data, c.loss),
      gradient: maxRelativeError(out.gradient.data, floats(c.gradient)),
    };
    const name = `${c.kind}${c.targeted ? ' (targeted)' : ''}`;
    t.diagnostic(
      `${name}: ${Object.entries(errors)
        .map(([k, v]) => `${k} ${v.toExponential(2)}`)
        .join(', ')}`,
    );
    for (const [what, error] of Object.entries(errors)) assert.ok(error <= 1e-4, `${name} ${what}: ${error}`);
  }
});

const torchSkip = torchAvailable() ? false : 'PyTorch is not available (/usr/bin/python3 without torch)';

/** NHWC -> NCHW for the torch reference, which takes the graph's own input layout. */
function toNchw(x: Float32Array, [n, h, w, c]: readonly number[]): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < h * w; i++)
      for (let ch = 0; ch < c; ch++) out[(b * c + ch) * h * w + i] = x[(b * h * w + i) * c + ch];
  return out;
}

test(
  'live PyTorch: the fixture and models/fashion-mnist-torch, every loss kind',
  { skip: torchSkip },
  async (t) => {
    const fixture = JSON.parse(readFileSync(join(fixtures, 'torch-small-cnn.json'), 'utf8')) as Fixture;
    const fashion = readFileSync(join(embeddedModelsDir(), 'fashion-mnist-torch', 'model.onnx'));
    const fashionPixels = Float32Array.from({ length: 3 * 28 * 28 }, (_, i) => ((i * 7919) % 1000) / 1000);
    const models: [string, Uint8Array, Float32Array, [number, number, number, number], number][] = [
      [
        'torch-small-cnn',
        readFileSync(join(fixtures, 'torch-small-cnn.onnx')),
        floats(fixture.pixels),
        fixture.shape,
        10,
      ],
      ['fashion-mnist-torch', fashion, fashionPixels, [3, 28, 28, 1], 10],
    ];
    const runs = models.flatMap(([name, bytes, pixels, shape, classes]) =>
      (['crossentropy', 'margin', 'dlr', 'dlr-targeted', 'logits'] as const).map((kind) => ({
        name: `${name} ${kind}`,
        bytes,
        pixels,
        shape,
        classes,
        loss: sampleLoss(kind, shape[0], classes, 5, kind === 'margin'),
      })),
    );
    // One Python process for every reference (importing torch takes seconds).
    const references = await torchReferenceBatch(
      runs.map(({ bytes, pixels, shape: [n, h, w, c], loss }) => ({
        model: bytes,
        x: toNchw(pixels, [n, h, w, c]),
        shape: [n, c, h, w],
        loss,
      })),
    );
    for (const [i, run] of runs.entries()) {
      const torch = references[i];
      if (torch instanceof Error) throw torch;
      const classifier = classifierGraph(decodeModel(run.bytes, run.name), { layout: 'NCHW' });
      const out = await ours(classifier, run.loss, run.pixels, run.shape, run.classes);
      const gradient = maxRelativeError(toNchw(out.gradient.data, run.shape), torch.gradient);
      const logits = maxRelativeError(out.logits.data, torch.logits);
      t.diagnostic(`${run.name}: logits ${logits.toExponential(2)}, gradient ${gradient.toExponential(2)}`);
      assert.ok(logits <= 1e-4 && gradient <= 1e-4, `${run.name}: logits ${logits}, gradient ${gradient}`);
    }
  },
);
