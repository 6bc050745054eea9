/** Library-level evaluations: `evaluate(model, data, protocol)` with state files, resume and sanity checks. */
export * from './attack-budget.js';
export * from './attack-image-files.js';
export * from './attack-images.js';
export * from './autoattack.js';
export * from './evaluate.js';
export * from './evaluate-epsilons.js';
export * from './evaluation-data.js';
export * from './evaluation-result.js';
export * from './evaluation-state.js';
export * from './protocols.js';
export * from './sanity-checks.js';
