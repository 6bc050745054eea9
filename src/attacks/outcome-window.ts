/**
 * The last `capacity` successes and failures of one input (foolbox's ArrayQueue, per input): decision-based
 * attacks adapt their step sizes to its success rate once it is full, then clear it.
 */
export class OutcomeWindow {
  private readonly outcomes: boolean[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`outcome window: capacity must be an integer >= 1 (got ${capacity})`);
  }

  push(outcome: boolean): void {
    this.outcomes.push(outcome);
    if (this.outcomes.length > this.capacity) this.outcomes.shift();
  }

  get full(): boolean {
    return this.outcomes.length === this.capacity;
  }

  /** Fraction of successes among the outcomes held (NaN when empty). */
  get mean(): number {
    return this.outcomes.filter(Boolean).length / this.outcomes.length;
  }

  clear(): void {
    this.outcomes.length = 0;
  }
}
