/**
 * A CART decision tree (Gini impurity, binary splits `x[feature] <= threshold` go left), written here
 * rather than taken from ml-cart: ml-cart scans every candidate threshold of every feature with a full
 * pass over the node's samples (quadratic per feature, hours on 784-feature images) and hides its
 * structure in nested objects. This one pre-sorts every feature once and keeps the sorted order per node
 * (a stable partition per split), so a node costs O(features x samples), and it exposes the structure as
 * flat arrays (feature, threshold, children, class counts) for the tree attack.
 *
 * Deterministic: ties between splits go to the lowest feature index, then the lowest threshold.
 */
import { Rng } from '../engine/random.js';
import { ScoreClassifier, checkRows, type ClassifierSpec } from './classifier.js';
import { checkLabelled, type LabelledRows } from './rows.js';

/** The tree as flat arrays indexed by node id (root = 0). */
export interface TreeStructure {
  /** Split feature, -1 at leaves. */
  feature: Int32Array;
  /** Split threshold (go left when x[feature] <= threshold); NaN at leaves. */
  threshold: Float32Array;
  /** Child ids, -1 at leaves. */
  left: Int32Array;
  right: Int32Array;
  /** Training examples per class at each node, row-major `[nodes, numClasses]`. */
  classCounts: Float32Array;
  /** Majority class at each node (ties: lowest index): the prediction at a leaf. */
  nodeClass: Int32Array;
  /** Depth of each node (root 0). */
  depth: Int32Array;
}

export interface DecisionTreeOptions {
  /** Maximum depth (default 12). */
  maxDepth?: number;
  /** Nodes with fewer examples are not split (default 2). */
  minSamplesSplit?: number;
  /** Each child keeps at least this many examples (default 1). */
  minSamplesLeaf?: number;
  /** Features tried at each node: all (default) or a seeded random subset of this size. */
  maxFeatures?: number;
  /** Seeds the feature subsets when maxFeatures is set (default 0). */
  seed?: number;
  /** Model name (default 'decision-tree'). */
  name?: string;
}

export interface DecisionTreeJson {
  kind: 'decision-tree';
  name: string;
  inputShape: [number, number, number];
  labels: string[];
  bounds: [number, number];
  feature: number[];
  threshold: (number | null)[];
  left: number[];
  right: number[];
  classCounts: number[];
}

export class DecisionTree extends ScoreClassifier {
  readonly kind = 'decision-tree';
  readonly tree: TreeStructure;

  constructor(spec: ClassifierSpec, tree: Omit<TreeStructure, 'nodeClass' | 'depth'>) {
    super(spec);
    const nodes = tree.feature.length;
    const k = this.numClasses;
    if (
      tree.threshold.length !== nodes ||
      tree.left.length !== nodes ||
      tree.right.length !== nodes ||
      tree.classCounts.length !== nodes * k
    ) {
      throw new Error(`${spec.name}: inconsistent tree arrays (${nodes} nodes, ${k} classes)`);
    }
    const nodeClass = new Int32Array(nodes);
    const depth = new Int32Array(nodes).fill(-1);
    depth[0] = 0;
    for (let i = 0; i < nodes; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (tree.classCounts[i * k + c] > tree.classCounts[i * k + best]) best = c;
      nodeClass[i] = best;
      if (tree.feature[i] >= 0) {
        const [l, r] = [tree.left[i], tree.right[i]];
        if (!(l > i && r > i && l < nodes && r < nodes) || tree.feature[i] >= this.numFeatures) {
          throw new Error(
            `${spec.name}: node ${i} has bad children (${l}, ${r}) or feature ${tree.feature[i]}`,
          );
        }
        depth[l] = depth[r] = depth[i] + 1;
      }
    }
    this.tree = { ...tree, nodeClass, depth };
  }

  get nodeCount(): number {
    return this.tree.feature.length;
  }

  get leafCount(): number {
    let n = 0;
    for (let i = 0; i < this.nodeCount; i++) if (this.tree.feature[i] < 0) n++;
    return n;
  }

  get maxDepth(): number {
    let m = 0;
    for (let i = 0; i < this.nodeCount; i++) m = Math.max(m, this.tree.depth[i]);
    return m;
  }

  /** The leaf that row `n` of `rows` reaches. */
  leafOf(rows: Float32Array, n = 0): number {
    const { feature, threshold, left, right } = this.tree;
    const offset = n * this.numFeatures;
    let node = 0;
    while (feature[node] >= 0)
      node = rows[offset + feature[node]] <= threshold[node] ? left[node] : right[node];
    return node;
  }

  /** Node ids from the root to the leaf that row `n` reaches. */
  decisionPath(rows: Float32Array, n = 0): number[] {
    const { feature, threshold, left, right } = this.tree;
    const offset = n * this.numFeatures;
    const path = [0];
    let node = 0;
    while (feature[node] >= 0) {
      node = rows[offset + feature[node]] <= threshold[node] ? left[node] : right[node];
      path.push(node);
    }
    return path;
  }

  /** Leaf per row. */
  leaves(rows: Float32Array): Int32Array {
    const count = checkRows(rows, this.numFeatures, this.name);
    const out = new Int32Array(count);
    for (let n = 0; n < count; n++) out[n] = this.leafOf(rows, n);
    return out;
  }

  override predict(rows: Float32Array): Int32Array {
    const leaves = this.leaves(rows);
    return leaves.map((leaf) => this.tree.nodeClass[leaf]);
  }

  /** Class distribution of the training examples at the leaf each row reaches. */
  scores(rows: Float32Array): Float32Array {
    const leaves = this.leaves(rows);
    const k = this.numClasses;
    const out = new Float32Array(leaves.length * k);
    leaves.forEach((leaf, n) => {
      let total = 0;
      for (let c = 0; c < k; c++) total += this.tree.classCounts[leaf * k + c];
      for (let c = 0; c < k; c++) out[n * k + c] = this.tree.classCounts[leaf * k + c] / total;
    });
    return out;
  }

  toJSON(): DecisionTreeJson {
    const t = this.tree;
    return {
      kind: 'decision-tree',
      name: this.name,
      inputShape: [...this.inputShape],
      labels: [...this.labels],
      bounds: [this.bounds[0], this.bounds[1]],
      feature: Array.from(t.feature),
      threshold: Array.from(t.threshold, (v) => (Number.isNaN(v) ? null : v)),
      left: Array.from(t.left),
      right: Array.from(t.right),
      classCounts: Array.from(t.classCounts),
    };
  }

  static fromJSON(json: DecisionTreeJson): DecisionTree {
    if (json?.kind !== 'decision-tree')
      throw new Error(`not a decision tree JSON (kind '${String(json?.kind)}')`);
    return new DecisionTree(
      { name: json.name, inputShape: json.inputShape, labels: json.labels, bounds: json.bounds },
      {
        feature: Int32Array.from(json.feature),
        threshold: Float32Array.from(json.threshold, (v) => v ?? NaN),
        left: Int32Array.from(json.left),
        right: Int32Array.from(json.right),
        classCounts: Float32Array.from(json.classCounts),
      },
    );
  }
}

function positiveInt(value: number, name: string, min: number): number {
  if (!(Number.isInteger(value) && value >= min))
    throw new Error(`decision-tree: ${name} must be an integer >= ${min} (got ${value})`);
  return value;
}

/**
 * Writes into `out` the indices 0..n-1 sorted by `values` (ties by index). Packs the order-preserving
 * 32-bit key of each float32 with its index into one exactly representable float64, so a native numeric
 * sort does the work (several times faster than a comparator on large columns).
 */
function sortedIndices(values: Float32Array, out: Int32Array): void {
  const n = values.length;
  if (n >= 2 ** 21) {
    for (let i = 0; i < n; i++) out[i] = i;
    out.sort((a, b) => values[a] - values[b] || a - b);
    return;
  }
  const bits = new Uint32Array(values.buffer, values.byteOffset, n);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const b = bits[i];
    const sortable = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
    keys[i] = sortable * 2 ** 21 + i;
  }
  keys.sort();
  for (let i = 0; i < n; i++) out[i] = keys[i] % 2 ** 21;
}

/** Grows a CART tree on labelled rows. */
export function trainDecisionTree(data: LabelledRows, options: DecisionTreeOptions = {}): DecisionTree {
  const d = checkLabelled(data, 'decision-tree');
  const maxDepth = positiveInt(options.maxDepth ?? 12, 'maxDepth', 0);
  const minSplit = positiveInt(options.minSamplesSplit ?? 2, 'minSamplesSplit', 2);
  const minLeaf = positiveInt(options.minSamplesLeaf ?? 1, 'minSamplesLeaf', 1);
  const maxFeatures = positiveInt(options.maxFeatures ?? d, 'maxFeatures', 1);
  const rng = new Rng(options.seed ?? 0);
  const n = data.count;
  const k = data.classNames.length;
  const y = Int32Array.from(data.labels);

  // Column-major copy and, per feature, the example indices sorted by value.
  const xt = new Float32Array(d * n);
  for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) xt[f * n + i] = data.images[i * d + f];
  const order = new Int32Array(d * n);
  for (let f = 0; f < d; f++)
    sortedIndices(xt.subarray(f * n, (f + 1) * n), order.subarray(f * n, (f + 1) * n));

  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const classCounts: number[] = [];
  const goesLeft = new Uint8Array(n);
  const scratch = new Int32Array(n);
  const countsL = new Float64Array(k);
  const countsR = new Float64Array(k);
  const allFeatures = Int32Array.from({ length: d }, (_, f) => f);

  const grow = (start: number, end: number, depth: number): number => {
    const id = feature.length;
    feature.push(-1);
    threshold.push(NaN);
    left.push(-1);
    right.push(-1);
    const size = end - start;
    const counts = new Float64Array(k);
    for (let p = start; p < end; p++) counts[y[order[p]]]++;
    for (let c = 0; c < k; c++) classCounts.push(counts[c]);
    let sumSq = 0;
    let classes = 0;
    for (let c = 0; c < k; c++) {
      sumSq += counts[c] * counts[c];
      if (counts[c] > 0) classes++;
    }
    if (depth >= maxDepth || size < minSplit || size < 2 * minLeaf || classes <= 1) return id;

    // Maximise sumSqL / nL + sumSqR / nR (equivalent to minimising the weighted Gini impurity).
    const parentScore = sumSq / size;
    let bestScore = parentScore + 1e-9 * size;
    let bestFeature = -1;
    let bestThreshold = NaN;
    const candidates = maxFeatures >= d ? allFeatures : rng.permutation(d).subarray(0, maxFeatures).sort();
    for (const f of candidates) {
      const seg = f * n;
      const col = f * n;
      if (xt[col + order[seg + start]] === xt[col + order[seg + end - 1]]) continue; // constant here
      countsL.fill(0);
      countsR.set(counts);
      let sqL = 0;
      let sqR = sumSq;
      for (let p = start; p < end - 1; p++) {
        const c = y[order[seg + p]];
        sqL += 2 * countsL[c] + 1;
        countsL[c]++;
        sqR -= 2 * countsR[c] - 1;
        countsR[c]--;
        const nL = p - start + 1;
        const nR = size - nL;
        if (nL < minLeaf || nR < minLeaf) continue;
        const v = xt[col + order[seg + p]];
        const next = xt[col + order[seg + p + 1]];
        if (v === next) continue;
        const score = sqL / nL + sqR / nR;
        if (score > bestScore) {
          bestScore = score;
          bestFeature = f;
          let t = Math.fround((v + next) / 2);
          if (!(t >= v && t < next)) t = v;
          bestThreshold = t;
        }
      }
    }
    if (bestFeature < 0) return id;

    // Stable partition of every feature's segment into the left part then the right part.
    let nLeft = 0;
    for (let p = start; p < end; p++) {
      const i = order[bestFeature * n + p];
      const l = xt[bestFeature * n + i] <= bestThreshold ? 1 : 0;
      goesLeft[i] = l;
      nLeft += l;
    }
    for (let f = 0; f < d; f++) {
      const seg = f * n;
      let a = start;
      let b = 0;
      for (let p = start; p < end; p++) {
        const i = order[seg + p];
        if (goesLeft[i]) order[seg + a++] = i;
        else scratch[b++] = i;
      }
      order.set(scratch.subarray(0, b), seg + a);
    }
    feature[id] = bestFeature;
    threshold[id] = bestThreshold;
    left[id] = grow(start, start + nLeft, depth + 1);
    right[id] = grow(start + nLeft, end, depth + 1);
    return id;
  };
  grow(0, n, 0);

  return new DecisionTree(
    { name: options.name ?? 'decision-tree', inputShape: data.shape, labels: data.classNames },
    {
      feature: Int32Array.from(feature),
      threshold: Float32Array.from(threshold),
      left: Int32Array.from(left),
      right: Int32Array.from(right),
      classCounts: Float32Array.from(classCounts),
    },
  );
}
