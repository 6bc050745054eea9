/**
 * Fault injection for the kill tests: `ADVX_KILL_AT=NAME[:N]` makes this process kill itself with SIGKILL
 * the N-th time (default 1st) it reaches the point NAME, e.g. between two files of a checkpoint save, or
 * `before-rename-FILE` between the temporary file and the rename of an atomic write (atomic-write.ts).
 * Without the variable a fault point does nothing.
 */
const reached = new Map<string, number>();

export function faultPoint(name: string): void {
  const spec = process.env.ADVX_KILL_AT;
  if (spec === undefined || spec === '') return;
  const [target, nth] = spec.split(':');
  if (target !== name) return;
  const count = (reached.get(name) ?? 0) + 1;
  reached.set(name, count);
  if (count === Number(nth ?? '1')) process.kill(process.pid, 'SIGKILL');
}
