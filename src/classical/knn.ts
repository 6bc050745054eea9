/**
 * k-nearest-neighbours (Euclidean) by brute force with tfjs: squared distances come from one matMul per
 * query batch (|q|^2 - 2 q.t + |t|^2) and `topk` picks the neighbours. On 784-feature images this is far
 * faster than ml-knn, whose k-d tree degenerates to a slow linear scan in JS at that dimension.
 *
 * Scores are vote fractions among the k neighbours; a tie between classes goes to the class of the
 * nearest tied neighbour (its score gets a bonus below one vote, so argmax(scores) is the prediction).
 */
import { Rng } from '../engine/random.js';
import { tf, type Tensor1D, type Tensor2D } from '../engine/tf.js';
import { ScoreClassifier, checkRows } from './classifier.js';
import { checkLabelled, type LabelledRows } from './rows.js';

export interface KnnOptions {
  /** Neighbours (default 5). */
  k?: number;
  /** Keep at most this many training examples, drawn with `seed` (default: all). */
  maxTrain?: number;
  /** Seeds the training subsample (default 0). */
  seed?: number;
  /** Queries per distance matMul (default 256). */
  batchSize?: number;
  /** Model name (default 'knn'). */
  name?: string;
}

export class KnnClassifier extends ScoreClassifier {
  readonly kind = 'knn';
  readonly k: number;
  readonly trainCount: number;
  private readonly batchSize: number;
  /** Training rows transposed, `[numFeatures, trainCount]`: wasm's matMul is slow with transposeB. */
  private readonly trainRowsT: Tensor2D;
  private readonly trainNorms: Tensor1D;
  private readonly trainLabels: Int32Array;

  constructor(data: LabelledRows, options: KnnOptions = {}) {
    checkLabelled(data, 'knn');
    super({ name: options.name ?? 'knn', inputShape: data.shape, labels: data.classNames });
    const k = options.k ?? 5;
    const batchSize = options.batchSize ?? 256;
    if (!(Number.isInteger(k) && k >= 1)) throw new Error(`knn: k must be a positive integer (got ${k})`);
    if (!(Number.isInteger(batchSize) && batchSize >= 1))
      throw new Error(`knn: batchSize must be a positive integer (got ${batchSize})`);
    const maxTrain = options.maxTrain ?? data.count;
    if (!(Number.isInteger(maxTrain) && maxTrain >= 1))
      throw new Error(`knn: maxTrain must be a positive integer (got ${maxTrain})`);
    const d = this.numFeatures;
    let rows = data.images;
    let labels = Int32Array.from(data.labels);
    if (maxTrain < data.count) {
      const keep = new Rng(options.seed ?? 0).permutation(data.count).subarray(0, maxTrain);
      rows = new Float32Array(maxTrain * d);
      labels = new Int32Array(maxTrain);
      keep.forEach((j, i) => {
        rows.set(data.images.subarray(j * d, (j + 1) * d), i * d);
        labels[i] = data.labels[j];
      });
    }
    this.trainCount = labels.length;
    if (k > this.trainCount)
      throw new Error(`knn: k = ${k} exceeds the ${this.trainCount} training examples`);
    this.k = k;
    this.batchSize = batchSize;
    this.trainLabels = labels;
    const [rowsT, norms] = tf.tidy(() => {
      const t = tf.tensor2d(rows, [this.trainCount, d]);
      return [tf.transpose(t), tf.sum(tf.square(t), 1)];
    });
    this.trainRowsT = rowsT as Tensor2D;
    this.trainNorms = norms as Tensor1D;
  }

  /** Indices (into the kept training rows) of the k nearest neighbours of each row, nearest first. */
  neighbours(rows: Float32Array): Int32Array {
    const count = checkRows(rows, this.numFeatures, this.name);
    const d = this.numFeatures;
    const out = new Int32Array(count * this.k);
    for (let start = 0; start < count; start += this.batchSize) {
      const size = Math.min(this.batchSize, count - start);
      const indices = tf.tidy(() => {
        const q = tf.tensor2d(rows.subarray(start * d, (start + size) * d), [size, d]);
        // -|q - t|^2 up to the per-query constant |q|^2, which does not change the order.
        const negDist = tf.sub(tf.mul(2, tf.matMul(q, this.trainRowsT)), this.trainNorms);
        return tf.topk(negDist, this.k, true).indices;
      });
      out.set(indices.dataSync() as Int32Array, start * this.k);
      indices.dispose();
    }
    return out;
  }

  scores(rows: Float32Array): Float32Array {
    const neighbours = this.neighbours(rows);
    const k = this.k;
    const classes = this.numClasses;
    const count = neighbours.length / k;
    const out = new Float32Array(count * classes);
    const votes = new Float64Array(classes);
    for (let n = 0; n < count; n++) {
      votes.fill(0);
      for (let j = 0; j < k; j++) votes[this.trainLabels[neighbours[n * k + j]]]++;
      let top = 0;
      for (let c = 0; c < classes; c++) top = Math.max(top, votes[c]);
      // Tie-break: the nearest neighbour whose class has the top vote count gets half a vote more.
      for (let j = 0; j < k; j++) {
        const c = this.trainLabels[neighbours[n * k + j]];
        if (votes[c] === top) {
          votes[c] += 0.5;
          break;
        }
      }
      for (let c = 0; c < classes; c++) out[n * classes + c] = votes[c] / (k + 0.5);
    }
    return out;
  }

  override dispose(): void {
    if (!this.trainRowsT.isDisposed) this.trainRowsT.dispose();
    if (!this.trainNorms.isDisposed) this.trainNorms.dispose();
  }
}

/** A kNN classifier over (a seeded subsample of) `data`. Call `dispose()` when done: it holds tensors. */
export function trainKnn(data: LabelledRows, options: KnnOptions = {}): KnnClassifier {
  return new KnnClassifier(data, options);
}
