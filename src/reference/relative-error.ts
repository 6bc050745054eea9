/**
 * How far a result is from a reference, as advx's reference tests measure it: the largest absolute
 * difference divided by the largest magnitude of the reference, `max_i |a_i - e_i| / max_i |e_i|`. Unlike a
 * per-element ratio it does not blow up where the reference crosses zero, and it scales with the values
 * (logits, gradients) being compared. "Fails above 1e-4" means this measure above 1e-4.
 */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) {
    throw new Error(`maxRelativeError: ${actual.length} values against ${expected.length} expected`);
  }
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (Number.isNaN(d)) return Number.NaN;
    diff = Math.max(diff, d);
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? (diff === 0 ? 0 : Number.POSITIVE_INFINITY) : diff / scale;
}
