/**
 * Papernot, McDaniel & Goodfellow (2016), "Transferability in Machine Learning", section 4.2: the
 * adversarial example for a decision tree. For each input, search the tree for the nearest leaf whose
 * class differs from the tree's current prediction, then change only the features tested on that leaf's
 * path so that the input follows it: each feature that is on the wrong side of a threshold moves just
 * past it (by `margin`), everything else stays as it is.
 *
 * "Nearest" is exact: a depth-first search over the tree keeps, per feature, the interval that the path
 * so far allows, and the cost of reaching it (changed features, largest change, squared L2), which only
 * grows going down; subtrees that cannot beat the best leaf found, leave the `eps` budget (Linf) or
 * hold no leaf of another class are pruned.
 */
import { checkRows } from './classifier.js';
import type { DecisionTree } from './decision-tree.js';

export type TreeAttackMetric = 'l0' | 'linf' | 'l2';

export interface TreeAttackOptions {
  /**
   * What "nearest" minimises: 'l0' (fewest changed features, then smallest Linf; default, as in the
   * paper), 'linf' (smallest largest change, then fewest features) or 'l2' (smallest L2, then fewest).
   */
  metric?: TreeAttackMetric;
  /** Linf budget: only leaves reachable with every change <= eps count (default: unlimited). */
  eps?: number;
  /** How far past a threshold a moved feature lands, in input units (default 1e-3 of the bounds' range). */
  margin?: number;
}

export interface TreeAttackResult {
  /** The inputs with the path features changed (unchanged where the attack failed). */
  adversarial: Float32Array;
  /** True where the adversarial input reaches a leaf of another class than the clean prediction. */
  success: boolean[];
  /** The tree's prediction on the clean inputs. */
  original: Int32Array;
  /** The leaf each adversarial input was steered to (-1 where the attack failed). */
  targetLeaf: Int32Array;
  /** Number of changed features per input (0 where the attack failed). */
  changed: Int32Array;
  /** Largest absolute change per input (0 where the attack failed). */
  linf: Float32Array;
}

interface Cost {
  primary: number;
  secondary: number;
}

/** Runs the tree attack on every row of `rows` (`count * tree.numFeatures` floats in the tree's bounds). */
export function treeAttack(
  tree: DecisionTree,
  rows: Float32Array,
  options: TreeAttackOptions = {},
): TreeAttackResult {
  const count = checkRows(rows, tree.numFeatures, 'tree attack');
  const metric = options.metric ?? 'l0';
  if (metric !== 'l0' && metric !== 'linf' && metric !== 'l2')
    throw new Error(`tree attack: metric must be 'l0', 'linf' or 'l2' (got '${String(metric)}')`);
  const eps = options.eps ?? Infinity;
  if (!(eps >= 0)) throw new Error(`tree attack: eps must be >= 0 (got ${eps})`);
  const [boundLo, boundHi] = tree.bounds;
  const margin = options.margin ?? 1e-3 * (boundHi - boundLo);
  if (!(margin > 0 && Number.isFinite(margin)))
    throw new Error(`tree attack: margin must be a positive number (got ${margin})`);
  for (let i = 0; i < rows.length; i++) {
    if (!(rows[i] >= boundLo && rows[i] <= boundHi)) {
      throw new Error(
        `tree attack: input value ${rows[i]} (row ${Math.floor(i / tree.numFeatures)}) is outside the bounds [${boundLo}, ${boundHi}]`,
      );
    }
  }

  const { feature, threshold, left, right, nodeClass } = tree.tree;
  const nodes = feature.length;
  const d = tree.numFeatures;
  const k = tree.numClasses;

  // Classes of the leaves below each node as a bit mask (pruning), when they fit in 31 bits.
  const useMasks = k <= 31;
  const leafClasses = new Int32Array(nodes);
  if (useMasks) {
    for (let i = nodes - 1; i >= 0; i--)
      leafClasses[i] = feature[i] < 0 ? 1 << nodeClass[i] : leafClasses[left[i]] | leafClasses[right[i]];
  }
  const parent = new Int32Array(nodes).fill(-1);
  for (let i = 0; i < nodes; i++) if (feature[i] >= 0) parent[left[i]] = parent[right[i]] = i;

  const lo = new Float64Array(d).fill(-Infinity);
  const hi = new Float64Array(d).fill(Infinity);
  const delta = new Float64Array(d);

  /** Where a feature with clean value v must go to lie in (l, h]; NaN when no value in bounds does. */
  const targetValue = (v: number, l: number, h: number): number => {
    if (v > l && v <= h) return v;
    let t: number;
    if (v <= l) {
      t = l + margin;
      if (!(t <= h)) t = (l + h) / 2;
    } else {
      t = h - margin;
      if (!(t > l)) t = (l + h) / 2;
    }
    t = Math.fround(Math.min(boundHi, Math.max(boundLo, t)));
    return t > l && t <= h ? t : NaN;
  };

  const adversarial = Float32Array.from(rows);
  const original = tree.predict(rows);
  const success: boolean[] = new Array<boolean>(count).fill(false);
  const targetLeaf = new Int32Array(count).fill(-1);
  const changed = new Int32Array(count);
  const linf = new Float32Array(count);

  for (let n = 0; n < count; n++) {
    const x = rows.subarray(n * d, (n + 1) * d);
    const avoid = original[n];
    const otherMask = ~(1 << avoid);
    let best: Cost = { primary: Infinity, secondary: Infinity };
    let bestLeaf = -1;

    const cost = (l0: number, maxDelta: number, sumSq: number): Cost =>
      metric === 'l0'
        ? { primary: l0, secondary: maxDelta }
        : metric === 'linf'
          ? { primary: maxDelta, secondary: l0 }
          : { primary: sumSq, secondary: l0 };
    const notBetter = (c: Cost): boolean =>
      c.primary > best.primary || (c.primary === best.primary && c.secondary >= best.secondary);

    const search = (node: number, l0: number, maxDelta: number, sumSq: number): void => {
      if (useMasks && (leafClasses[node] & otherMask) === 0) return;
      const c = cost(l0, maxDelta, sumSq);
      if (notBetter(c)) return;
      const f = feature[node];
      if (f < 0) {
        if (nodeClass[node] !== avoid) {
          best = c;
          bestLeaf = node;
        }
        return;
      }
      const thr = threshold[node];
      const v = x[f];
      const goesLeft = v <= thr;
      for (const side of goesLeft ? [0, 1] : [1, 0]) {
        const [oldLo, oldHi, oldDelta] = [lo[f], hi[f], delta[f]];
        if (side === 0) hi[f] = Math.min(oldHi, thr);
        else lo[f] = Math.max(oldLo, thr);
        const t = targetValue(v, lo[f], hi[f]);
        if (!Number.isNaN(t)) {
          const dNew = Math.abs(t - v);
          if (dNew <= eps) {
            delta[f] = dNew;
            const l0New = l0 + (oldDelta === 0 && dNew > 0 ? 1 : 0);
            search(
              side === 0 ? left[node] : right[node],
              l0New,
              Math.max(maxDelta, dNew),
              sumSq + dNew * dNew - oldDelta * oldDelta,
            );
          }
        }
        lo[f] = oldLo;
        hi[f] = oldHi;
        delta[f] = oldDelta;
      }
    };
    search(0, 0, 0, 0);
    if (bestLeaf < 0) continue;

    // Steer the input down the chosen leaf's path.
    const path: number[] = [];
    for (let node = bestLeaf; node >= 0; node = parent[node]) path.push(node);
    path.reverse();
    const touched: number[] = [];
    for (let i = 0; i + 1 < path.length; i++) {
      const node = path[i];
      const f = feature[node];
      if (path[i + 1] === left[node]) hi[f] = Math.min(hi[f], threshold[node]);
      else lo[f] = Math.max(lo[f], threshold[node]);
      touched.push(f);
    }
    const out = adversarial.subarray(n * d, (n + 1) * d);
    let maxDelta = 0;
    let l0 = 0;
    for (const f of new Set(touched)) {
      const t = targetValue(x[f], lo[f], hi[f]);
      if (t !== x[f]) {
        out[f] = t;
        maxDelta = Math.max(maxDelta, Math.abs(t - x[f]));
        l0++;
      }
    }
    for (const f of touched) {
      lo[f] = -Infinity;
      hi[f] = Infinity;
    }
    // The search already guarantees this; re-running the tree makes success a measured fact.
    if (tree.leafOf(adversarial, n) === bestLeaf && nodeClass[bestLeaf] !== avoid) {
      success[n] = true;
      targetLeaf[n] = bestLeaf;
      changed[n] = l0;
      linf[n] = maxDelta;
    } else {
      out.set(x);
    }
  }
  return { adversarial, success, original, targetLeaf, changed, linf };
}
