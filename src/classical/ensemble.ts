/**
 * An ensemble of classifiers over the same inputs and classes.
 *
 * - 'vote' (default): each member casts one vote for its prediction; scores are vote fractions, and a tie
 *   goes to the tied class with the highest mean member probability (its bonus stays below one vote).
 * - 'average': scores are the mean of the members' class probabilities. When every member is
 *   differentiable, the ensemble is too: its logits are log(mean softmax) computed with tfjs ops.
 */
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import type { Bounds } from '../models/model.js';
import { ForwardModel } from '../models/forward-model.js';
import { SCORE_FLOOR, argmaxRows, batchRows, checkBatch, checkRows, type Classifier } from './classifier.js';

export type EnsembleMode = 'vote' | 'average';

export interface EnsembleOptions {
  mode?: EnsembleMode;
  /** Model name (default 'ensemble'). */
  name?: string;
  /** When true, dispose() also disposes the members (default false). */
  ownsMembers?: boolean;
}

export class Ensemble extends ForwardModel implements Classifier {
  readonly kind = 'ensemble';
  readonly name: string;
  readonly mode: EnsembleMode;
  readonly members: readonly Classifier[];
  readonly bounds: Bounds;
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly labels: readonly string[];
  readonly numFeatures: number;
  readonly differentiable: boolean;
  private readonly ownsMembers: boolean;

  constructor(members: readonly Classifier[], options: EnsembleOptions = {}) {
    super();
    const mode = options.mode ?? 'vote';
    if (mode !== 'vote' && mode !== 'average')
      throw new Error(`ensemble: mode must be 'vote' or 'average' (got '${String(mode)}')`);
    if (members.length === 0) throw new Error('ensemble: needs at least one member');
    const first = members[0];
    for (const m of members) {
      if (
        m.numFeatures !== first.numFeatures ||
        m.numClasses !== first.numClasses ||
        m.inputShape.join() !== first.inputShape.join()
      ) {
        throw new Error(
          `ensemble: member '${m.name}' takes [${m.inputShape.join(',')}] with ${m.numClasses} classes, ` +
            `but '${first.name}' takes [${first.inputShape.join(',')}] with ${first.numClasses}`,
        );
      }
      if (m.bounds[0] !== first.bounds[0] || m.bounds[1] !== first.bounds[1]) {
        throw new Error(
          `ensemble: member '${m.name}' has bounds [${m.bounds.join(',')}], '${first.name}' has [${first.bounds.join(',')}]`,
        );
      }
    }
    this.name = options.name ?? 'ensemble';
    this.mode = mode;
    this.members = [...members];
    this.bounds = first.bounds;
    this.inputShape = first.inputShape;
    this.numClasses = first.numClasses;
    this.labels = first.labels;
    this.numFeatures = first.numFeatures;
    this.differentiable = mode === 'average' && members.every((m) => m.differentiable);
    this.ownsMembers = options.ownsMembers ?? false;
  }

  /** Mean of the members' class probabilities, `[count, numClasses]`. */
  meanProbabilities(rows: Float32Array): Float32Array {
    const count = checkRows(rows, this.numFeatures, this.name);
    const out = new Float32Array(count * this.numClasses);
    for (const m of this.members) {
      const s = m.scores(rows);
      for (let i = 0; i < out.length; i++) out[i] += s[i] / this.members.length;
    }
    return out;
  }

  scores(rows: Float32Array): Float32Array {
    const mean = this.meanProbabilities(rows);
    if (this.mode === 'average') return mean;
    const k = this.numClasses;
    const count = mean.length / k;
    const votes = new Float64Array(count * k);
    for (const m of this.members) {
      const p = m.predict(rows);
      for (let n = 0; n < count; n++) votes[n * k + p[n]]++;
    }
    const total = this.members.length + 0.5;
    const out = new Float32Array(count * k);
    for (let n = 0; n < count; n++) {
      // mean probabilities sum to 1, so half of them can never outweigh a whole vote.
      for (let c = 0; c < k; c++) out[n * k + c] = (votes[n * k + c] + 0.5 * mean[n * k + c]) / total;
    }
    return out;
  }

  predict(rows: Float32Array): Int32Array {
    return argmaxRows(this.scores(rows), this.numClasses);
  }

  forward(x: Tensor4D): Tensor2D {
    checkBatch(x, this.inputShape, this.name);
    if (this.differentiable) {
      return tf.tidy(() => {
        const probs = this.members.map((m) => tf.softmax(m.forward(x)));
        return tf.log(tf.maximum(tf.div(tf.addN(probs), this.members.length), SCORE_FLOOR)) as Tensor2D;
      });
    }
    const scores = this.scores(batchRows(x));
    const logged = scores.map((s) => Math.log(Math.max(s, SCORE_FLOOR)));
    return tf.tensor2d(logged, [x.shape[0], this.numClasses]);
  }

  override dispose(): void {
    if (this.ownsMembers) for (const m of this.members) m.dispose();
  }
}
