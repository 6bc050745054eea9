export * from './criterion.js';
