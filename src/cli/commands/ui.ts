/**
 * `advx ui [--port P] [--host H]`: serves the page where a person attacks a photo in the browser (tfjs
 * runs in the page) with the zoo models on this machine, until SIGINT or SIGTERM. Prints the page's URL.
 */
import type { Command } from 'commander';
import { isLoopbackHost } from '../../models/model-server.js';
import { serveUi, type UiServer } from '../../ui-server/serve-ui.js';
import { asUsage, UsageError } from '../errors.js';
import { parseInteger } from '../options.js';
import { stopSignal } from '../stop-signal.js';

export interface UiFlags {
  port: string;
  host: string;
}

export interface UiIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Resolves when the server is to stop (default: SIGINT or SIGTERM). */
  until?: Promise<unknown>;
  /** Called once the page is served. */
  onListening?: (server: UiServer) => void;
}

export async function uiAction(
  flags: UiFlags,
  io: UiIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) },
): Promise<void> {
  const port = await asUsage(() => {
    const value = parseInteger(flags.port, '--port', 0);
    if (value > 65535) throw new UsageError(`--port: must be at most 65535 (got ${flags.port})`);
    return value;
  });
  const server = await asUsage(() => serveUi({ port, host: flags.host }));
  if (!isLoopbackHost(flags.host))
    io.err(`advx ui: warning: listening on ${flags.host}: other machines can open the page and models\n`);
  for (const { name, reason } of server.models.skipped) io.err(`advx ui: not serving ${name}: ${reason}\n`);
  const names = server.models.catalog.models.map((m) => m.name).join(', ');
  io.out(`advx ui: the page is at ${server.url} (models: ${names})\n`);
  io.onListening?.(server);
  await (io.until ?? stopSignal());
  await server.close();
}

export function registerUiCommand(program: Command): void {
  program
    .command('ui')
    .description('serve a page that attacks a photo in the browser (until Ctrl-C)')
    .option('-p, --port <P>', 'TCP port (0: a free one, printed)', '8090')
    .option(
      '--host <H>',
      'interface to listen on (other than loopback: reachable from other machines)',
      '127.0.0.1',
    )
    .action(async (flags: UiFlags) => {
      await uiAction(flags);
    });
}
