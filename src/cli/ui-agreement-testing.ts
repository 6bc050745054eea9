/**
 * The Node side of the `advx ui` test (commands/ui.test.ts): the same attack as the page, run in this
 * process, and the check that the page's result agrees with it.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { PNG } from 'pngjs';
import { createAttack } from '../attacks/registry.js';
import { loadImagesFor } from '../data/images.js';
import { tf } from '../engine/tf.js';
import { loadModel, type EngineChoice } from '../models/load.js';
import { topPredictions, type Prediction } from '../models/model.js';

/** What the page showed, and the adversarial PNG it let download. */
export interface PageRun {
  clean: { name: string; p: number };
  adversarial: { name: string; p: number };
  png: Buffer;
}

/** What the page and Node run besides image, model and eps (the page's defaults: fgsm, seed 0). */
export interface AttackChoice {
  attack?: string;
  seed?: number;
}

export interface NodeRun {
  clean: Prediction;
  adversarial: Prediction;
  /** The clipped adversarial as 8-bit RGB, as the page's PNG stores it. */
  rgb: Uint8Array;
  shape: readonly number[];
}

/** The same attack in this process (label = clean top-1, as the page), on the tfjs engine by default. */
export async function attackInNode(
  file: string,
  name: string,
  eps: number,
  { attack = 'fgsm', seed = 0, engine = 'tfjs' }: AttackChoice & { engine?: EngineChoice } = {},
): Promise<NodeRun> {
  const model = await loadModel(name, { engine });
  const x = await loadImagesFor([file], model);
  try {
    const [clean] = await topPredictions(model, x, 1);
    const result = await createAttack(attack, { seed }).run(model, x, [clean[0].index], { epsilons: eps });
    const [adversarial] = await topPredictions(model, result.clipped, 1);
    const rgb = tf.tidy(() => {
      const bytes = tf.round(tf.mul(tf.clipByValue(result.clipped, 0, 1), 255));
      return bytes.shape[3] === 1 ? tf.tile(bytes, [1, 1, 1, 3]) : bytes;
    });
    const out = {
      clean: clean[0],
      adversarial: adversarial[0],
      rgb: Uint8Array.from(rgb.dataSync()),
      shape: x.shape,
    };
    tf.dispose([rgb, result.raw, result.clipped]);
    return out;
  } finally {
    x.dispose();
    model.dispose();
  }
}

/** Fraction of RGB values of the page's PNG within one level of Node's adversarial. */
function agreement(png: Buffer, node: NodeRun): number {
  const image = PNG.sync.read(png);
  const [, h, w] = node.shape;
  assert.deepEqual([image.height, image.width], [h, w], 'the PNG is the adversarial at the input size');
  let close = 0;
  for (let p = 0; p < h * w; p++)
    for (let c = 0; c < 3; c++) if (Math.abs(image.data[p * 4 + c] - node.rgb[p * 3 + c]) <= 1) close++;
  return close / (h * w * 3);
}

export function assertAgree(t: TestContext, inPage: PageRun, inNode: NodeRun, what: string): void {
  const fraction = agreement(inPage.png, inNode);
  const show = (p: { name: string; p: number }) => `${p.name} ${p.p.toFixed(4)}`;
  t.diagnostic(
    `${what}: page ${show(inPage.clean)} -> ${show(inPage.adversarial)}; node ${show(inNode.clean)} -> ${show(inNode.adversarial)}; ${(fraction * 100).toFixed(3)}% of the adversarial's values within one level`,
  );
  assert.equal(inPage.clean.name, inNode.clean.name, `${what}: clean top-1`);
  assert.ok(
    Math.abs(inPage.clean.p - inNode.clean.p) < 2e-3,
    `${what}: clean p ${inPage.clean.p} vs ${inNode.clean.p}`,
  );
  assert.equal(inPage.adversarial.name, inNode.adversarial.name, `${what}: adversarial top-1`);
  assert.ok(
    Math.abs(inPage.adversarial.p - inNode.adversarial.p) < 2e-3,
    `${what}: adversarial p ${inPage.adversarial.p} vs ${inNode.adversarial.p}`,
  );
  assert.ok(fraction > 0.999, `${what}: ${(fraction * 100).toFixed(2)}% of the adversarial's values agree`);
}
