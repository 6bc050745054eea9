/**
 * The computation behind the page, all in this browser: a photo -> the model's input, its top-3, the
 * attack at one eps against the clean prediction (the CLI's default label), the adversarial's top-3 and
 * the magnified perturbation. The caller disposes the returned tensors (`disposeResult`).
 */
import { attacks, images, models, tf } from '../src/browser.js';
import type { Model, Prediction } from '../src/browser.js';

export interface PhotoAttack {
  attack: string;
  eps: number;
  seed: number;
}

export interface PhotoAttackResult {
  clean: Prediction[];
  adversarial: Prediction[];
  /** The attack's criterion (misclassification of the clean top-1) holds for the adversarial. */
  success: boolean;
  original: tf.Tensor4D;
  perturbation: tf.Tensor4D;
  magnification: number;
  adversarialImage: tf.Tensor4D;
}

export async function attackPhoto(
  model: Model,
  photo: Blob,
  settings: PhotoAttack,
): Promise<PhotoAttackResult> {
  const attack = attacks.createAttack(settings.attack, { seed: settings.seed });
  const original = await images.load([photo], model);
  try {
    const [clean] = await models.topPredictions(model, original, 3);
    const result = await attack.run(model, original, [clean[0].index], { epsilons: settings.eps });
    result.raw.dispose();
    const [adversarial] = await models.topPredictions(model, result.clipped, 3);
    const { image, magnification } = images.magnifiedPerturbation(original, result.clipped, model.bounds);
    return {
      clean,
      adversarial,
      success: result.success[0],
      original,
      perturbation: image,
      magnification,
      adversarialImage: result.clipped,
    };
  } catch (error) {
    original.dispose();
    throw error;
  }
}

export function disposeResult(result: PhotoAttackResult): void {
  tf.dispose([result.original, result.perturbation, result.adversarialImage]);
}
