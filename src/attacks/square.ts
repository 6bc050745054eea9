/**
 * Square Attack (Andriushchenko, Croce, Flammarion & Hein 2020), a score-based attack in Linf and L2, as
 * fra31/auto-attack's square.py runs it. It sees logits only (never a gradient) and counts its queries.
 *
 * - Linf: start from vertical stripes (each column and channel at x0 +- eps); each iteration proposes, per
 *   input, a random square window of side s whose channels are all set to x0 + eps or x0 - eps (a random
 *   sign per channel).
 * - L2: start from a grid of 5x5 blocks holding +-"eta" patterns (two opposite pyramids of 1/k^2
 *   rectangles), scaled to L2 norm eps; each iteration moves the perturbation mass of a second random
 *   window into a first one, with a fresh eta pattern, keeping the total norm at eps.
 * A proposal is kept when it lowers the loss (untargeted: the margin `z_y - max_{i != y} z_i`; targeted:
 * the cross-entropy of the target) or when the criterion accepts it. The window side follows the p
 * schedule: s = round(sqrt(p * H * W)) with p = p_init halved at iterations 10, 50, 200, 500, 1000, 2000,
 * 4000, 6000 and 8000 (of 10,000: with `rescaleSchedule` the iterations are rescaled to the budget, as in
 * the paper's code; AutoAttack runs without). Defaults: p_init 0.8, 5000 queries (AutoAttack's standard
 * version); the paper's ImageNet runs use p_init 0.05 in Linf and 0.1 in L2 with 10,000 queries.
 *
 * Batched: each iteration queries only the inputs not yet fooled, one image each; `maxQueries` is the
 * budget of model queries per input, the first (the starting point) included (AutoAttack's n_queries
 * counts iterations, so it spends one query more). Each input draws its own windows and signs (AutoAttack
 * shares one window across its batch), so that an input's run does not depend on the rest of the batch
 * beyond the seed. Returns the lowest-loss point of each input.
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import { Rng } from '../engine/random.js';
import { yieldToEventLoop } from '../engine/event-loop.js';
import type { AttackGoal } from '../criteria/index.js';
import type { Norm } from '../distances/index.js';
import type { Bounds } from '../models/model.js';
import { FixedEpsilonAttack, type AttackContext } from './attack.js';
import { attackGoal } from './loss-gradient.js';
import { checkChoice, checkInRange, checkInteger, definedOptions } from './option-checks.js';
import { QueryOracle } from './query-oracle.js';

export type SquareNorm = 'linf' | 'l2';

export interface SquareOptions {
  norm?: SquareNorm;
  /** Model queries per input, the starting point included. */
  maxQueries?: number;
  /** Share of the image's pixels the first windows cover. */
  pInit?: number;
  /** Rescale the p schedule (made for 10,000 iterations) to `maxQueries`. */
  rescaleSchedule?: boolean;
  seed?: number;
}

type Resolved = Required<SquareOptions>;

const DEFAULTS: Resolved = { norm: 'linf', maxQueries: 5000, pInit: 0.8, rescaleSchedule: false, seed: 0 };
const TINY = 1e-12;

/** The share of pixels a window covers at iteration `it` (p_selection). */
export function squareFraction(pInit: number, it: number, budget: number, rescale: boolean): number {
  const i = rescale ? Math.floor((it / budget) * 10000) : it;
  const halvings: [number, number][] = [
    [8000, 512],
    [6000, 256],
    [4000, 128],
    [2000, 64],
    [1000, 32],
    [500, 16],
    [200, 8],
    [50, 4],
    [10, 2],
  ];
  for (const [after, divisor] of halvings) if (i > after) return pInit / divisor;
  return pInit;
}

/** Image geometry (NHWC): value index of pixel (row, col), channel c. */
interface Geometry {
  h: number;
  w: number;
  c: number;
  size: number;
}

const at = (g: Geometry, row: number, col: number, ch: number) => (row * g.w + col) * g.c + ch;

/** A random integer in [0, n) (0 when n is 0), as torch's `low + (high - low) * rand` truncated. */
const randomBelow = (rng: Rng, n: number) => Math.floor(rng.next() * n);
const randomSign = (rng: Rng) => (2 * rng.next() - 1 >= 0 ? 1 : -1);

/** Rows x cols of the eta pyramid: rectangles around the centre with weights 1/(k+1)^2, unit L2 norm. */
function etaRectangles(rows: number, cols: number): Float64Array {
  const delta = new Float64Array(rows * cols);
  const rc = Math.floor(rows / 2) + 1;
  const cc = Math.floor(cols / 2) + 1;
  let r0 = rc - 1;
  let c0 = cc - 1;
  for (let k = 0; k < Math.max(rc, cc); k++) {
    for (let r = Math.max(r0, 0); r < Math.min(r0 + 2 * k + 1, rows); r++)
      for (let c = Math.max(c0, 0); c < Math.min(c0 + 2 * k + 1, cols); c++)
        delta[r * cols + c] += 1 / (k + 1) ** 2;
    r0--;
    c0--;
  }
  return scaleToUnit(delta);
}

function scaleToUnit(values: Float64Array): Float64Array {
  let sum = 0;
  for (const v of values) sum += v * v;
  const norm = Math.sqrt(sum);
  return norm > 0 ? values.map((v) => v / norm) : values;
}

/** The L2 proposal pattern of side s: two opposite pyramids, transposed at random, unit L2 norm. */
function eta(s: number, rng: Rng): Float64Array {
  const half = Math.floor(s / 2);
  const top = etaRectangles(half, s);
  const bottom = etaRectangles(s - half, s);
  const delta = new Float64Array(s * s);
  delta.set(top, 0);
  bottom.forEach((v, i) => (delta[half * s + i] = -v));
  const unit = scaleToUnit(delta);
  if (rng.next() <= 0.5) return unit;
  const transposed = new Float64Array(s * s);
  for (let r = 0; r < s; r++) for (let c = 0; c < s; c++) transposed[c * s + r] = unit[r * s + c];
  return transposed;
}

function l2Norm(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] * values[i];
  return Math.sqrt(s);
}

/** x0 + eps * delta / ||delta||_2, clipped into bounds. */
function onL2Sphere(x0: Float32Array, delta: Float64Array, eps: number, bounds: Bounds): Float32Array {
  const scale = eps / (l2Norm(delta) + TINY);
  return Float32Array.from(x0, (v, i) => Math.min(Math.max(v + delta[i] * scale, bounds[0]), bounds[1]));
}

/** One input's search state. */
interface SquareRow {
  input: number;
  clean: Float32Array;
  best: Float32Array;
  loss: number;
  done: boolean;
}

/** The Linf starting point: each column and channel at x0 +- eps. */
function linfStart(x0: Float32Array, g: Geometry, eps: number, bounds: Bounds, rng: Rng): Float32Array {
  const signs = Array.from({ length: g.w * g.c }, () => randomSign(rng));
  const out = new Float32Array(g.size);
  for (let r = 0; r < g.h; r++)
    for (let col = 0; col < g.w; col++)
      for (let ch = 0; ch < g.c; ch++) {
        const i = at(g, r, col, ch);
        out[i] = Math.min(Math.max(x0[i] + eps * signs[col * g.c + ch], bounds[0]), bounds[1]);
      }
  return out;
}

/** The L2 starting point: a grid of 5x5 blocks of +-eta patterns (a sign per block and channel). */
function l2Start(x0: Float32Array, g: Geometry, eps: number, bounds: Bounds, rng: Rng): Float32Array {
  const s = Math.floor(g.h / 5);
  const delta = new Float64Array(g.size);
  if (s > 0) {
    const offset = Math.floor((g.h - s * 5) / 2);
    for (let bh = 0, vh = offset; bh < Math.floor(g.h / s); bh++, vh += s)
      for (let bw = 0, vw = offset; bw < Math.floor(g.w / s); bw++, vw += s) {
        const pattern = eta(s, rng);
        const signs = Array.from({ length: g.c }, () => randomSign(rng));
        for (let r = 0; r < s && vh + r < g.h; r++)
          for (let col = 0; col < s && vw + col < g.w; col++)
            for (let ch = 0; ch < g.c; ch++)
              delta[at(g, vh + r, vw + col, ch)] += pattern[r * s + col] * signs[ch];
      }
  }
  return onL2Sphere(x0, delta, eps, bounds);
}

/** A Linf proposal: a random window of side s set to x0 +- eps (a sign per channel). */
function linfProposal(
  row: SquareRow,
  g: Geometry,
  s: number,
  eps: number,
  bounds: Bounds,
  rng: Rng,
): Float32Array {
  const vh = randomBelow(rng, g.h - s);
  const vw = randomBelow(rng, g.w - s);
  const signs = Array.from({ length: g.c }, () => randomSign(rng));
  const out = row.best.slice();
  for (let r = vh; r < vh + s; r++)
    for (let col = vw; col < vw + s; col++)
      for (let ch = 0; ch < g.c; ch++) {
        const i = at(g, r, col, ch);
        out[i] = Math.min(Math.max(row.clean[i] + eps * signs[ch], bounds[0]), bounds[1]);
      }
  return out;
}

/** Per channel, the L2 norm of `delta` over the pixels where `inside(row, col)`. */
function channelNorms(delta: Float64Array, g: Geometry, inside: (r: number, c: number) => boolean): number[] {
  const sums = new Array<number>(g.c).fill(0);
  for (let r = 0; r < g.h; r++)
    for (let col = 0; col < g.w; col++) {
      if (!inside(r, col)) continue;
      for (let ch = 0; ch < g.c; ch++) sums[ch] += delta[at(g, r, col, ch)] ** 2;
    }
  return sums.map(Math.sqrt);
}

/** An L2 proposal: the mass of windows 1 and 2 moved into window 1, with a fresh eta pattern. */
function l2Proposal(
  row: SquareRow,
  g: Geometry,
  s: number,
  eps: number,
  bounds: Bounds,
  rng: Rng,
): Float32Array {
  const delta = Float64Array.from(row.best, (v, i) => v - row.clean[i]);
  const vh = randomBelow(rng, g.h - s);
  const vw = randomBelow(rng, g.w - s);
  const vh2 = randomBelow(rng, g.h - s);
  const vw2 = randomBelow(rng, g.w - s);
  const inFirst = (r: number, c: number) => r >= vh && r < vh + s && c >= vw && c < vw + s;
  const inSecond = (r: number, c: number) => r >= vh2 && r < vh2 + s && c >= vw2 && c < vw2 + s;
  const firstNorms = channelNorms(delta, g, inFirst);
  const unionNorms = channelNorms(delta, g, (r, c) => inFirst(r, c) || inSecond(r, c));
  const imageNorm = l2Norm(delta);
  const pattern = eta(s, rng);
  const signs = Array.from({ length: g.c }, () => randomSign(rng));
  const window = new Float64Array(s * s * g.c);
  for (let ch = 0; ch < g.c; ch++) {
    let sum = 0;
    for (let r = 0; r < s; r++)
      for (let col = 0; col < s; col++) {
        const v =
          pattern[r * s + col] * signs[ch] + delta[at(g, vh + r, vw + col, ch)] / (TINY + firstNorms[ch]);
        window[(r * s + col) * g.c + ch] = v;
        sum += v * v;
      }
    const target = Math.sqrt(Math.max(eps * eps - imageNorm * imageNorm, 0) / g.c + unionNorms[ch] ** 2);
    const scale = target / (TINY + Math.sqrt(sum));
    for (let k = 0; k < s * s; k++) window[k * g.c + ch] *= scale;
  }
  for (let r = vh2; r < vh2 + s; r++)
    for (let col = vw2; col < vw2 + s; col++) for (let ch = 0; ch < g.c; ch++) delta[at(g, r, col, ch)] = 0;
  for (let r = 0; r < s; r++)
    for (let col = 0; col < s; col++)
      for (let ch = 0; ch < g.c; ch++) delta[at(g, vh + r, vw + col, ch)] = window[(r * s + col) * g.c + ch];
  return onL2Sphere(row.clean, delta, eps, bounds);
}

/** The loss Square minimises, per row of logits: margin (untargeted) or target cross-entropy (targeted). */
function squareLoss(logits: number[], label: number, targeted: boolean): number {
  let other = -Infinity;
  logits.forEach((z, k) => {
    if (k !== label && z > other) other = z;
  });
  if (!targeted) return logits[label] - other;
  const top = Math.max(...logits);
  const logSum = top + Math.log(logits.reduce((s, z) => s + Math.exp(z - top), 0));
  return logSum - logits[label];
}

export class SquareAttack extends FixedEpsilonAttack {
  readonly name: string;
  readonly norm: Norm;
  override readonly countsQueries = true;
  private readonly options: Resolved;

  constructor(options: SquareOptions = {}) {
    super();
    this.options = { ...DEFAULTS, ...definedOptions(options) };
    const o = this.options;
    this.norm = checkChoice('square', 'norm', o.norm, ['linf', 'l2'] as const);
    this.name = this.norm === 'l2' ? 'l2-square' : 'square';
    checkInteger(this.name, 'maxQueries', o.maxQueries, 1);
    checkInRange(this.name, 'pInit', o.pInit, 0, 1, true);
    if (!(o.pInit > 0)) throw new Error(`${this.name}: pInit must be in (0, 1] (got ${o.pInit})`);
    if (!Number.isFinite(o.seed))
      throw new Error(`${this.name}: seed must be a finite number (got ${o.seed})`);
  }

  describe(): Record<string, unknown> {
    return { ...this.options };
  }

  /** Side of the windows at iteration `it`: at least 1 (Linf) or an odd number >= 3 (L2), at most the image. */
  private side(it: number, g: Geometry): number {
    const o = this.options;
    const p = squareFraction(o.pInit, it, o.maxQueries, o.rescaleSchedule);
    let s = Math.round(Math.sqrt(p * g.h * g.w));
    if (this.norm === 'linf') s = Math.max(s, 1);
    else {
      s = Math.max(s, 3);
      if (s % 2 === 0) s++;
    }
    return Math.min(s, g.h, g.w);
  }

  protected async attack(x0: Tensor4D, eps: number, context: AttackContext): Promise<Tensor4D> {
    const { model, criterion, progress } = context;
    const goal: AttackGoal = attackGoal(criterion, this.name);
    if (eps === 0) return tf.clone(x0);
    const o = this.options;
    const [n, h, w, c] = x0.shape;
    const g: Geometry = { h, w, c, size: h * w * c };
    const oracle = new QueryOracle(model, criterion, context.queries, o.maxQueries, this.name);
    const rng = new Rng(o.seed);
    const clean = x0.dataSync() as Float32Array;
    const rows: SquareRow[] = Array.from({ length: n }, (_, i) => {
      const x = clean.slice(i * g.size, (i + 1) * g.size);
      const best =
        this.norm === 'linf'
          ? linfStart(x, g, eps, model.bounds, rng)
          : l2Start(x, g, eps, model.bounds, rng);
      return { input: i, clean: x, best, loss: Infinity, done: false };
    });
    await this.query(
      oracle,
      rows,
      rows.map((row) => row.best),
      goal,
      g,
      true,
    );
    const iterations = o.maxQueries - 1;
    for (let it = 0; it < iterations; it++) {
      const active = rows.filter((row) => !row.done && oracle.remaining(row.input) >= 1);
      if (active.length === 0) break;
      const s = this.side(it, g);
      const proposals = active.map((row) =>
        this.norm === 'linf'
          ? linfProposal(row, g, s, eps, model.bounds, rng)
          : l2Proposal(row, g, s, eps, model.bounds, rng),
      );
      await this.query(oracle, active, proposals, goal, g, false);
      progress(it + 1, iterations);
      if (it % 16 === 15) await yieldToEventLoop();
    }
    const out = new Float32Array(n * g.size);
    rows.forEach((row, i) => out.set(row.best, i * g.size));
    return tf.tensor4d(out, x0.shape);
  }

  /** Queries `proposals` (one per row) and keeps those that lower the loss or fool the model. */
  private async query(
    oracle: QueryOracle,
    rows: SquareRow[],
    proposals: Float32Array[],
    goal: AttackGoal,
    g: Geometry,
    initial: boolean,
  ): Promise<void> {
    const data = new Float32Array(rows.length * g.size);
    proposals.forEach((p, j) => data.set(p, j * g.size));
    const owners = rows.map((row) => row.input);
    const batch = tf.tensor4d(data, [rows.length, g.h, g.w, g.c]);
    try {
      const logits = await oracle.logits(batch, owners);
      try {
        const values = logits.arraySync() as number[][];
        const fooled = oracle.verdict(batch, logits, owners);
        rows.forEach((row, j) => {
          const loss = squareLoss(values[j], goal.labels[row.input], goal.targeted);
          if (initial || loss < row.loss || fooled[j]) {
            row.best = proposals[j];
            row.loss = Math.min(loss, row.loss);
          }
          row.done = fooled[j];
        });
      } finally {
        logits.dispose();
      }
    } finally {
      batch.dispose();
    }
  }
}
