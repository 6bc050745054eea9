/**
 * A client-side rate limit: at most `maxPerSecond` starts a second, evenly spaced (a token bucket that
 * holds one token). Every caller of `wait()` gets its own slot, so concurrent callers queue up.
 */
export class RateLimiter {
  private readonly intervalMs: number;
  private nextSlot = 0;

  /** `maxPerSecond` undefined or Infinity: no limit. */
  constructor(maxPerSecond?: number) {
    if (maxPerSecond !== undefined && !(maxPerSecond > 0))
      throw new Error(`max queries per second must be > 0 (got ${maxPerSecond})`);
    this.intervalMs = maxPerSecond === undefined ? 0 : 1000 / maxPerSecond;
  }

  /** Resolves when the caller may start. */
  async wait(): Promise<void> {
    if (this.intervalMs === 0) return;
    const now = performance.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.intervalMs;
    if (slot > now) await new Promise((resolve) => setTimeout(resolve, slot - now));
  }
}
