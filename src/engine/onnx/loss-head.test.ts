/**
 * The loss head in the graph against the reference definition (src/models/loss.ts, tfjs cpu backend): for
 * every loss kind, the `loss` output equals lossOfLogits and the gradient w.r.t. the logits equals tfjs'
 * gradient of sum(lossOfLogits). The classifier is the identity (pixels [N,1,1,K] -> logits [N,K]), so
 * the graph's input gradient IS dL/dlogits. Both sides compute in float32: tolerance 1e-5 of the largest
 * value (max relative error as src/reference/relative-error.ts measures it).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { useBackend } from '../backend.js';
import { tf, type Tensor2D } from '../tf.js';
import { lossOfLogits, type Loss } from '../../models/loss.js';
import { maxRelativeError } from '../../reference/relative-error.js';
import { classifierGraph } from './classifier-graph.js';
import { gradientModel } from './gradient-model.js';
import { networkModel, sampleLoss, values } from './gradient-testing.js';
import { lossFeeds } from './loss-feeds.js';
import { encodeModel } from './proto.js';
import { createSession, runSession } from './session.js';

const N = 6;
const K = 10;

before(async () => {
  await useBackend('cpu');
});

const losses: Loss[] = [
  sampleLoss('crossentropy', N, K, 3),
  sampleLoss('crossentropy', N, K, 3, true),
  sampleLoss('margin', N, K, 3),
  sampleLoss('margin', N, K, 3, true),
  sampleLoss('dlr', N, K, 3),
  sampleLoss('dlr-targeted', N, K, 3),
  sampleLoss('logits', N, K, 3),
];

function describe(loss: Loss): string {
  return 'targeted' in loss && loss.targeted ? `${loss.kind} (targeted)` : loss.kind;
}

/** Logits a few units apart, so no max or top-k choice is near a tie. */
const logits = values(N * K, 11, -4, 4);

for (const loss of losses) {
  test(`loss head '${describe(loss)}': loss = lossOfLogits and dL/dz = tfjs' gradient`, async (t) => {
    const identity = classifierGraph(
      networkModel((b, x) => b.op('Flatten', [x]), [1, 1, K]),
      { layout: 'NHWC' },
    );
    const session = await createSession(encodeModel(gradientModel(identity, loss.kind)));
    const out = await runSession(session, {
      pixels: { data: logits, dims: [N, 1, 1, K] },
      ...lossFeeds(loss, N, K),
    });
    await session.release();

    const z = tf.tensor2d(logits, [N, K]);
    const expectedLoss = lossOfLogits(z, loss);
    const expectedGradient = tf.grad((x: tf.Tensor) => tf.sum(lossOfLogits(x as Tensor2D, loss)))(z);
    const lossError = maxRelativeError(out.loss.data, expectedLoss.dataSync());
    const gradientError = maxRelativeError(out.gradient.data, expectedGradient.dataSync());
    tf.dispose([z, expectedLoss, expectedGradient]);
    t.diagnostic(
      `loss error ${lossError.toExponential(2)}, gradient error ${gradientError.toExponential(2)}`,
    );
    assert.ok(lossError <= 1e-5, `loss: max relative error ${lossError}`);
    assert.ok(gradientError <= 1e-5, `gradient: max relative error ${gradientError}`);
    assert.deepEqual(out.logits.data, logits);
  });
}
