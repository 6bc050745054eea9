/**
 * Lets timers and I/O run (progress bars, signals) between long synchronous tfjs steps: `setImmediate` in
 * Node, a zero timeout in the browser (which has no setImmediate) so that the page can repaint.
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => setTimeout(resolve, 0));
}
