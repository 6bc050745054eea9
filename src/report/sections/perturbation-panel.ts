/** Section 'panel': original | magnified perturbation | adversarial of the minimal FGSM (Figure 10.2). */
import { tf, type Tensor3D, type Tensor4D } from '../../engine/tf.js';
import { rowOf } from '../../evaluation/attack-images.js';
import type { Model, Prediction } from '../../models/model.js';
import type { ReportBlock } from '../html-report.js';
import { imagePanel } from '../image-panel.js';
import type { MinimalFgsm } from './minimal-fgsm.js';

/** The panel of the photo (`[1,H,W,C]`, clean top-k `clean`) and what the FGSM search made of it. */
export async function perturbationPanelBlocks(
  model: Model,
  photo: Tensor4D,
  clean: readonly Prediction[],
  fgsm: MinimalFgsm,
): Promise<ReportBlock[]> {
  const original = rowOf(photo, 0);
  const adversarial = rowOf(fgsm.adversarial, 0);
  const delta = tf.sub(adversarial, original) as Tensor3D;
  try {
    const panel = await imagePanel([{ original, perturbation: delta, adversarial }], model.bounds);
    const after = fgsm.run.top;
    return [
      {
        kind: 'image',
        png: panel,
        alt: 'original, magnified perturbation, adversarial',
        caption: `Left: the photo (${clean[0].name} ${clean[0].p.toFixed(3)}). Middle: the perturbation magnified x${fgsm.run.magnification.toFixed(0)} (grey = 0). Right: the adversarial (${after[0].name} ${after[0].p.toFixed(3)}); Linf ${fgsm.run.linf.toFixed(5)}.`,
      },
    ];
  } finally {
    tf.dispose([original, adversarial, delta]);
  }
}
