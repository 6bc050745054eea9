/** The experiments' public face: each returns plain data; the writers turn it into CSV and PNG. */
export * from './csv.js';
export * from './experiment-progress.js';
export * from './noise-sweep.js';
export * from './noise-sweep-writers.js';
export * from './noise-pgd.js';
export * from './noise-pgd-writers.js';
export * from './transfer-zoo.js';
export * from './transfer-zoo-writers.js';
export * from './transfer.js';
export * from './transfer-writers.js';
export * from './noise-sweep-run.js';
export * from './noise-pgd-run.js';
export * from './transfer-zoo-run.js';
