/**
 * `advx serve [--model M] [--port P] [--host H] [--output scores|logits|label|topk:K] [--max-batch N]
 *  [--max-body-mb MB]`: the model as an HTTP JSON service (protocol: src/models/service-protocol.ts) until
 * SIGINT or SIGTERM, then a graceful shutdown. Prints the service URL on stdout.
 */
import type { Command } from 'commander';
import { initEngine } from '../../engine/backend.js';
import { isLoopbackHost, serveModel, type ModelServer } from '../../models/model-server.js';
import { MODEL_OUTPUTS, type ModelOutput } from '../../models/model-outputs.js';
import { asUsage, UsageError } from '../errors.js';
import { addModelOptions, loadModelFromFlags, type ModelFlags } from '../model-options.js';
import { parseInteger, parseNumber } from '../options.js';
import { stopSignal } from '../stop-signal.js';

export interface ServeFlags extends ModelFlags {
  port: string;
  host: string;
  output: string;
  maxBatch: string;
  maxBodyMb: string;
}

/** `scores`, `logits`, `label`, or `topk:K`. */
export function parseServedOutput(text: string): { output: ModelOutput; topK?: number } {
  const [kind, k, ...rest] = text.split(':');
  const choices = 'scores, logits, label or topk:K';
  if (!MODEL_OUTPUTS.includes(kind as ModelOutput) || rest.length > 0)
    throw new UsageError(`--output: one of ${choices} (got ${text})`);
  if (kind !== 'topk') {
    if (k !== undefined) throw new UsageError(`--output: only topk takes a count (got ${text})`);
    return { output: kind as ModelOutput };
  }
  return { output: 'topk', topK: k === undefined ? undefined : parseInteger(k, '--output topk:K', 1) };
}

export interface ServeIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Resolves when the service is to stop (default: SIGINT or SIGTERM). */
  until?: Promise<unknown>;
  /** Called once the service listens. */
  onListening?: (server: ModelServer) => void;
}

export async function serveAction(
  flags: ServeFlags,
  io: ServeIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) },
): Promise<void> {
  const settings = await asUsage(() => {
    const port = parseInteger(flags.port, '--port', 0);
    if (port > 65535) throw new UsageError(`--port: must be at most 65535 (got ${flags.port})`);
    const maxBodyMb = parseNumber(flags.maxBodyMb, '--max-body-mb');
    if (!(maxBodyMb > 0)) throw new UsageError(`--max-body-mb: must be > 0 (got ${flags.maxBodyMb})`);
    return {
      port,
      host: flags.host,
      ...parseServedOutput(flags.output),
      maxBatch: parseInteger(flags.maxBatch, '--max-batch', 1),
      maxBodyBytes: Math.round(maxBodyMb * 1024 * 1024),
    };
  });
  await initEngine();
  const model = await loadModelFromFlags(flags);
  let server: ModelServer;
  try {
    server = await asUsage(() => serveModel(model, settings));
  } catch (error) {
    model.dispose();
    throw error;
  }
  if (!isLoopbackHost(settings.host))
    io.err(
      `advx serve: warning: listening on ${settings.host}: other machines can query the model (no authentication)\n`,
    );
  const what = server.info.output === 'topk' ? `top-${server.info.topK}` : server.info.output;
  io.out(`serving ${model.name} (${what}) at ${server.url}\n`);
  io.onListening?.(server);
  await (io.until ?? stopSignal());
  await server.close();
  model.dispose();
  const { predictions, inputs } = server.stats();
  io.err(`advx serve: stopped after ${predictions} predictions (${inputs} inputs)\n`);
}

export function registerServeCommand(program: Command): void {
  addModelOptions(
    program.command('serve').description('serve a model as an HTTP JSON service (until Ctrl-C)'),
  )
    .option('-p, --port <P>', 'TCP port (0: a free one, printed)', '8080')
    .option(
      '--host <H>',
      'interface to listen on (other than loopback: reachable from other machines)',
      '127.0.0.1',
    )
    .option('--output <O>', 'what to answer: scores (softmax), logits, label or topk:K', 'scores')
    .option('--max-batch <N>', 'largest batch one request may carry', '128')
    .option('--max-body-mb <MB>', 'largest request body in MiB', '64')
    .action(async (flags: ServeFlags) => {
      await serveAction(flags);
    });
}
