/** Cosine annealing (the step size and budget schedules of DDN and FMN): `max` at step 0, `min` at `steps`. */
export function cosineAnnealing(step: number, steps: number, max: number, min: number): number {
  return min + ((max - min) * (1 + Math.cos((Math.PI * step) / steps))) / 2;
}
