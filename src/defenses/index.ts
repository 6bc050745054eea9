/**
 * Defenses and their honest evaluation: adversarial training recipes (PGD, fast FGSM), virtual
 * adversarial training, classifier training runs with them (`runClassifierTraining`, what `advx train`
 * does), the GAN projection defense (Defense-GAN / robust manifold), BPDA and EOT for
 * attacking it, robust accuracy.
 */
export * from './adversarial-training.js';
export * from './vat.js';
export * from './gan-projection.js';
export * from './bpda.js';
export * from './evaluation.js';
export * from './classifier-training-settings.js';
export * from './classifier-training.js';
