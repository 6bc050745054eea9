export * from './norms.js';
export * from './projection.js';
