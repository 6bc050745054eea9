import { cpus } from 'node:os';

/** A short description of the CPU the benchmark ran on. */
export function os(): string {
  const cores = cpus();
  return `${cores.length} x ${cores[0]?.model.trim() ?? 'unknown CPU'}`;
}
