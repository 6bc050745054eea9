/**
 * Evaluations sharded over workers through Redis (BullMQ): the coordinator, the worker, the job schema
 * and the status listing. Node only (never imported by the browser entry).
 */
export * from './coordinator.js';
export * from './coordinator-state.js';
export * from './job-schema.js';
export * from './merge-shards.js';
export * from './model-identity.js';
export * from './redis-connection.js';
export * from './registry.js';
export * from './run-shard.js';
export * from './shard-plan.js';
export * from './status.js';
export * from './test-redis.js';
export * from './worker.js';
export * from './worker-models.js';
