/**
 * How a queued evaluation cuts its images into shards (one queue job each, per eps): runs of whole batches
 * in dataset order. Batches are the evaluation's blocks (src/evaluation/evaluate.ts), and what happens to
 * an image depends only on its block, so a shard that runs the whole protocol over its own blocks, with
 * the global number of its first block (`firstBatch`), gives its images exactly the single-process
 * results.
 */

export interface ShardPlan {
  /** Position of the shard (0, 1, ...). */
  index: number;
  /** Position (0-based, into the evaluation's images) of its first image. */
  start: number;
  /** Images in the shard. */
  images: number;
  /** Number of its first batch (block) in the whole evaluation: `start / batchSize`. */
  firstBatch: number;
}

/** The default shard: one batch. */
export function defaultShardSize(batchSize: number): number {
  return batchSize;
}

/**
 * Shards of `images` images cut into batches of `batchSize`: `shardSize` images each (rounded up to whole
 * batches), the last one shorter where the images run out.
 */
export function planShards(images: number, batchSize: number, shardSize: number): ShardPlan[] {
  for (const [name, value, min] of [
    ['images', images, 1],
    ['batch size', batchSize, 1],
    ['shard size', shardSize, 1],
  ] as const)
    if (!Number.isInteger(value) || value < min)
      throw new Error(`${name}: give an integer >= ${min} (got ${value})`);
  const batchesPerShard = Math.ceil(shardSize / batchSize);
  const step = batchesPerShard * batchSize;
  const shards: ShardPlan[] = [];
  for (let start = 0; start < images; start += step)
    shards.push({
      index: shards.length,
      start,
      images: Math.min(step, images - start),
      firstBatch: start / batchSize,
    });
  return shards;
}
