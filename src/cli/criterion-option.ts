/** `--criterion misclassification|confident:P|targeted:CLASS|topk:K` */
import * as criteria from '../criteria/index.js';
import { classIndex } from '../models/labels.js';
import { UsageError } from './errors.js';
import { parseInteger, parseNumber } from './options.js';

export const CRITERION_HELP = 'misclassification | confident:P | targeted:CLASS | topk:K';

export function parseCriterion(
  spec: string,
  labels: readonly number[],
  classNames: readonly string[],
): criteria.Criterion {
  const [kind, ...rest] = spec.split(':');
  const arg = rest.join(':');
  switch (kind.trim().toLowerCase()) {
    case 'misclassification':
      return criteria.misclassification(labels);
    case 'confident': {
      const p = parseNumber(arg, '--criterion confident:P');
      if (!(p > 0 && p <= 1)) throw new UsageError(`--criterion confident:P needs 0 < P <= 1 (got ${arg})`);
      return criteria.confident(p, labels);
    }
    case 'targeted': {
      if (arg === '') throw new UsageError('--criterion targeted:CLASS needs a class index or name');
      const target = classIndex(classNames, arg);
      return criteria.targeted(labels.map(() => target));
    }
    case 'topk':
      return criteria.topK(parseInteger(arg, '--criterion topk:K', 1), labels);
    default:
      throw new UsageError(`--criterion: unknown criterion '${spec}' (${CRITERION_HELP})`);
  }
}
