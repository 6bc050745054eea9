/** File-name-safe form of a model name: the experiments name their per-model files after it. */
export function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}
