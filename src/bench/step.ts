/**
 * One benchmark measurement in a process of its own (so that its peak memory is its own and a crash,
 * such as tfjs-wasm running out of its 32-bit heap, ends only this measurement):
 *   node dist/bench/step.js MODEL BATCH ENGINE THREADS REPEATS
 * Prints one JSON line: { ms (median per step: forward + input gradient of the summed cross-entropy),
 * repeats, peakRssMb }.
 */
import { initEngine } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { crossEntropyLoss } from '../models/loss.js';
import { loadModel, type EngineChoice } from '../models/load.js';
import { disposeLossGradient, type Model } from '../models/model.js';

async function stepMs(model: Model, batch: number, repeats: number): Promise<number> {
  const x = tf.randomUniform([batch, ...model.inputShape], 0, 1, 'float32', 1) as tf.Tensor4D;
  const loss = crossEntropyLoss(
    Array.from({ length: batch }, (_, i) => i % model.numClasses),
    false,
  );
  disposeLossGradient(await model.lossGradient(x, loss));
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    const result = await model.lossGradient(x, loss);
    result.gradient.dataSync();
    times.push(performance.now() - start);
    disposeLossGradient(result);
  }
  x.dispose();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function main(): Promise<void> {
  const [name, batch, engine, threads, repeats] = process.argv.slice(2);
  await initEngine();
  const model = await loadModel(name, { engine: engine as EngineChoice, threads: Number(threads) });
  const ms = await stepMs(model, Number(batch), Number(repeats));
  model.dispose();
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ ms, repeats: Number(repeats), peakRssMb }) + '\n');
}

main().catch((error) => {
  process.stderr.write(`bench step: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
