/**
 * advx: adversarial examples for TensorFlow.js image classifiers.
 *
 * ```ts
 * import { models, attacks, criteria, images } from 'advx';
 * const model = await models.load('mobilenet-v1-0.75');
 * const x = await images.load(['tent.jpg'], model);
 * const y = models.predictLabels(model, x);
 * const pgd = new attacks.LinfPGD({ steps: 40, relStepsize: 0.033, randomStart: true, seed: 1 });
 * const { clipped, success } = await pgd.run(model, x, criteria.confident(0.9, y), { epsilons: [2 / 255, 8 / 255] });
 * ```
 */
export * as engine from './engine/index.js';
export * as models from './models/index.js';
export * as attacks from './attacks/index.js';
export * as criteria from './criteria/index.js';
export * as distances from './distances/index.js';
export * as data from './data/index.js';
export { images } from './data/index.js';
export * as train from './train/index.js';
export * as classical from './classical/index.js';
export * as experiments from './experiments/index.js';
export * as report from './report/index.js';
export * as defenses from './defenses/index.js';
export * as evaluation from './evaluation/index.js';
export { tf } from './engine/tf.js';
export { AdvxError, isAdvxError, type AdvxErrorCode, type AdvxErrorDetails } from './errors.js';
export { LIMITS } from './limits.js';
export type { Model, Bounds, Prediction } from './models/model.js';
export type { Criterion } from './criteria/index.js';
export type { Attack, AttackResult, AttackResults, RunOptions } from './attacks/index.js';
