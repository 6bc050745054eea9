/** Lets timers and I/O run (progress bars, signals) between long synchronous tfjs steps. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
