export * from './attack.js';
export * from './gradient-descent.js';
export * from './additive-noise.js';
export * from './salt-and-pepper.js';
export * from './loss-gradient.js';
export * from './registry.js';
export * from './epsilon-search.js';
