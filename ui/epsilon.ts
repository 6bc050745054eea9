/** An epsilon as a person types it: a number (`0.1`) or a fraction (`2/255`), >= 0. */
export function parseEpsilon(text: string): number {
  const match = /^\s*(\d*\.?\d+(?:e-?\d+)?)\s*(?:\/\s*(\d*\.?\d+))?\s*$/i.exec(text);
  const value = match === null ? NaN : Number(match[1]) / (match[2] === undefined ? 1 : Number(match[2]));
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`eps: expected a number >= 0 or a fraction like 2/255 (got '${text}')`);
  return value;
}
