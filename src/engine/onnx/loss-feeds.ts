/** The session inputs a gradient graph (gradient-model.ts) takes for a loss of src/models/loss.ts. */
import { checkLoss, type Loss } from '../../models/loss.js';
import type { TensorData } from './session.js';

/** Feeds for `loss` on a batch of `batch` inputs and `classes` classes (checked as checkLoss does). */
export function lossFeeds(loss: Loss, batch: number, classes: number): Record<string, TensorData> {
  checkLoss(loss, batch, classes);
  const indices = (values: readonly number[]) => ({
    data: BigInt64Array.from(values, (v) => BigInt(v)),
    dims: [values.length],
  });
  const sign = (targeted: boolean) => ({ data: new Float32Array([targeted ? -1 : 1]), dims: [1] });
  switch (loss.kind) {
    case 'crossentropy':
    case 'margin':
      return { labels: indices(loss.labels), sign: sign(loss.targeted) };
    case 'dlr':
      return { labels: indices(loss.labels) };
    case 'dlr-targeted':
      return { labels: indices(loss.labels), targets: indices(loss.targets) };
    case 'logits':
      return { weights: { data: loss.weights, dims: [batch, classes] } };
  }
}
