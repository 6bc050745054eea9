/**
 * PyTorch's input gradients on advx's own ONNX exports of the zoo (scripts/torch_reference.py interprets the
 * exported graph with torch ops in float64; max relative error <= 1e-4, as src/reference measures it).
 *
 * The small CNNs are compared as exported, on real test images with a deterministic dither of at most 0.01:
 * their black background puts whole max-pool windows on exact ties and units on their ReLU kink, where the
 * last bit of float32 (ONNX Runtime) or float64 (PyTorch) rounding decides the gradient's path. Measured on
 * the first 4 test images: without the dither the margin and DLR gradients differ by up to 8e-2, with a 1e-5
 * dither by up to 3e-2, with the 0.01 dither by at most 6e-6. The ImageNet networks are piecewise linear
 * with hundreds of thousands of ReLU/ReLU6 kinks and max-pool windows: on any input some unit sits within
 * float32 rounding of a kink, so their raw gradient is ill-conditioned. Measured on MobileNet v1 0.75:
 * PyTorch's own float64 and float32 gradients differ by 3.6e-3, and moving the input by 1e-5 changes
 * PyTorch's gradient by 3.6e-3 (Darknet tiny: 2.3e-3 and 5.5e-2). Their gradient graphs (convolutions with
 * every stride, group and padding they use, batch norm, pooling, flatten, the head) are therefore checked on
 * their well-conditioned twins: the same graph and weights with each ReLU-family activation replaced by the
 * smooth SiLU (x * sigmoid(x), built from the supported Sigmoid and Mul) and each MaxPool by an AveragePool
 * of the same window. The raw graphs' disagreement is printed beside it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { classifierGraph } from '../engine/onnx/classifier-graph.js';
import { gradientModel } from '../engine/onnx/gradient-model.js';
import { lossFeeds } from '../engine/onnx/loss-feeds.js';
import { encodeModel, onnx } from '../engine/onnx/proto.js';
import { createSession, runSession } from '../engine/onnx/session.js';
import { loadFashionMnist } from '../data/datasets.js';
import { maxRelativeError } from '../reference/relative-error.js';
import { torchAvailable, torchReferenceBatch } from '../reference/torch-reference.js';
import type { Loss } from './loss.js';
import { onnxOfTfjsFolder } from './onnx-export-cache.js';
import { RESNET50_PACKAGE, ZOO, zooCacheDir } from './zoo.js';
import { isInstalled } from './package-folder.js';

const torchSkip = torchAvailable() ? false : 'PyTorch is not available (/usr/bin/python3 without torch)';

/** The same network with smooth activations and average pooling: a gradient without kinks or ties. */
function wellConditionedTwin(model: onnx.IModelProto): onnx.IModelProto {
  const twin = onnx.ModelProto.decode(encodeModel(model));
  const graph = twin.graph as onnx.GraphProto;
  const nodes: onnx.INodeProto[] = [];
  for (const node of graph.node) {
    const op = node.opType ?? '';
    if (op === 'Relu' || op === 'LeakyRelu' || op === 'Clip') {
      const x = (node.input ?? [])[0];
      const sigmoid = `${node.output?.[0]}_twin_sigmoid`;
      nodes.push({ opType: 'Sigmoid', input: [x], output: [sigmoid], name: sigmoid });
      nodes.push({ opType: 'Mul', input: [x, sigmoid], output: node.output, name: node.name });
    } else if (op === 'MaxPool') {
      nodes.push({ ...node, opType: 'AveragePool' });
    } else nodes.push(node);
  }
  graph.node = nodes.map((n) => onnx.NodeProto.create(n));
  return twin;
}

/** Deterministic values spread over [lo, hi]. */
const spread = (count: number, lo: number, hi: number) =>
  Float32Array.from({ length: count }, (_, i) => lo + (((i * 7919) % 1000) / 1000) * (hi - lo));

interface Case {
  name: string;
  network: onnx.IModelProto;
  x: Float32Array;
  shape: [number, number, number, number];
  loss: Loss;
  classes: number;
  /** Printed, not asserted (an ill-conditioned raw graph). */
  informational?: boolean;
}

/** Our logits and input gradient of the exported network (NHWC, no preprocessing) for `loss`. */
async function ours(c: Case) {
  const classifier = classifierGraph(c.network, { layout: 'NHWC' });
  const session = await createSession(encodeModel(gradientModel(classifier, c.loss.kind)));
  try {
    return await runSession(session, {
      pixels: { data: c.x, dims: c.shape },
      ...lossFeeds(c.loss, c.shape[0], c.classes),
    });
  } finally {
    await session.release();
  }
}

async function exported(name: string): Promise<onnx.IModelProto> {
  await initEngine();
  return onnxOfTfjsFolder(ZOO[name].dir());
}

async function compare(cases: Case[], t: { diagnostic: (s: string) => void }) {
  const references = await torchReferenceBatch(
    cases.map((c) => ({ model: encodeModel(c.network), x: c.x, shape: c.shape, loss: c.loss })),
  );
  const failures: string[] = [];
  for (const [i, c] of cases.entries()) {
    const torch = references[i];
    if (torch instanceof Error) throw torch;
    const out = await ours(c);
    const logits = maxRelativeError(out.logits.data, torch.logits);
    const gradient = maxRelativeError(out.gradient.data, torch.gradient);
    t.diagnostic(
      `${c.name}: logits ${logits.toExponential(2)}, gradient ${gradient.toExponential(2)}${c.informational ? ' (ill-conditioned, not asserted)' : ''}`,
    );
    if (!c.informational && !(logits <= 1e-4 && gradient <= 1e-4))
      failures.push(`${c.name}: logits ${logits}, gradient ${gradient}`);
  }
  assert.deepEqual(failures, []);
}

test(
  'exported small CNNs on real test images: gradients agree with PyTorch, every loss kind',
  { skip: torchSkip },
  async (t) => {
    const n = 4;
    const data = loadFashionMnist('test', n);
    const x = Float32Array.from(data.images, (v, i) => Math.min(1, v + ((i * 7919) % 1000) / 1e5));
    const labels = Array.from(data.labels);
    const targets = labels.map((l) => (l + 3) % 10);
    const losses: Loss[] = [
      { kind: 'crossentropy', labels, targeted: false },
      { kind: 'margin', labels: targets, targeted: true },
      { kind: 'dlr', labels },
      { kind: 'dlr-targeted', labels, targets },
    ];
    const cases: Case[] = [];
    for (const name of ['fashion-mnist-cnn', 'fashion-mnist-cnn-robust', 'mnist-cnn']) {
      const network = await exported(name);
      for (const loss of losses)
        cases.push({
          name: `${name} ${loss.kind}`,
          network,
          x,
          shape: [n, 28, 28, 1],
          loss,
          classes: 10,
        });
    }
    await compare(cases, t);
  },
);

const resnetSkip =
  torchSkip ||
  (ZOO.resnet50.dir() === zooCacheDir('resnet50') && !isInstalled(zooCacheDir('resnet50'), RESNET50_PACKAGE)
    ? 'ResNet-50 is not in the cache (advx models fetch resnet50)'
    : false);

for (const [name, range, skip] of [
  ['mobilenet-v1-0.75', [-1, 1], torchSkip],
  ['darknet-tiny', [0, 1], torchSkip],
  ['resnet50', [-120, 150], resnetSkip],
] as const) {
  test(
    `${name}: the exported graph's gradient agrees with PyTorch on its well-conditioned twin`,
    { skip },
    async (t) => {
      const network = await exported(name);
      const n = 2;
      const x = spread(n * 224 * 224 * 3, range[0], range[1]);
      const loss: Loss = { kind: 'crossentropy', labels: [3, 7], targeted: false };
      const shape: Case['shape'] = [n, 224, 224, 3];
      await compare(
        [
          { name: `${name} twin`, network: wellConditionedTwin(network), x, shape, loss, classes: 1000 },
          { name: `${name} as exported`, network, x, shape, loss, classes: 1000, informational: true },
        ],
        t,
      );
    },
  );
}
