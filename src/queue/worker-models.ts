/**
 * The models a worker has loaded, by reference: the spec, the options that change outputs, and the
 * content hash the job asks for. A model is loaded only after its files, hashed on this machine, turn out
 * to be the job's; otherwise the job is refused with both hashes (and nothing is loaded). A loaded model
 * keeps serving jobs that ask for its hash even if its files change later: it is still those contents.
 */
import type { Model } from '../models/model.js';
import { loadReferencedModel, modelContentHash, shortHash, type ModelReference } from './model-identity.js';

const keyOf = (ref: ModelReference) =>
  JSON.stringify([ref.spec, ref.bounds, ref.preprocess, ref.engine, ref.layout, ref.hash]);

export class WorkerModels {
  private readonly loaded = new Map<string, Promise<Model>>();

  constructor(private readonly options: { threads?: number; cacheDir?: string } = {}) {}

  private async load(ref: ModelReference): Promise<Model> {
    let hash: string;
    try {
      hash = await modelContentHash(ref.spec, this.options.cacheDir);
    } catch (error) {
      throw new Error(`model '${ref.spec}': this worker cannot find it (${(error as Error).message})`, {
        cause: error,
      });
    }
    if (hash !== ref.hash)
      throw new Error(
        `model '${ref.spec}': this worker's files have content hash ${shortHash(hash)}, the job's ${shortHash(ref.hash)}: not the same model`,
      );
    try {
      return await loadReferencedModel(ref, this.options);
    } catch (error) {
      throw new Error(`model '${ref.spec}': this worker cannot load it (${(error as Error).message})`, {
        cause: error,
      });
    }
  }

  /** The job's model, or a one-line error: not found here, other files, or it does not load. */
  get(ref: ModelReference): Promise<Model> {
    const key = keyOf(ref);
    let entry = this.loaded.get(key);
    if (entry === undefined) {
      entry = this.load(ref);
      this.loaded.set(key, entry);
      entry.catch(() => this.loaded.delete(key)); // a refusal is looked at again for the next job
    }
    return entry;
  }

  dispose(): void {
    for (const entry of this.loaded.values()) void entry.then((m) => m.dispose()).catch(() => undefined);
    this.loaded.clear();
  }
}
