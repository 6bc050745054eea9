/** `--criterion misclassification|confident:P|targeted:CLASS|topk:K` */
import * as criteria from '../criteria/index.js';
import { classIndex } from '../models/labels.js';
import { UsageError } from './errors.js';
import { parseInteger, parseNumber } from './options.js';

export const CRITERION_HELP = 'misclassification | confident:P | targeted:CLASS | topk:K';

const OPTION = '--criterion';

/**
 * The criterion `spec` names, for `labels` (one per image) of a model with these class names. Everything
 * is checked against the model here, before any attack: P in (0, 1], a class the model has, K below its
 * number of classes (with K >= classes every label is among the top K, so nothing could succeed).
 */
export function parseCriterion(
  spec: string,
  labels: readonly number[],
  classNames: readonly string[],
): criteria.Criterion {
  const colon = spec.indexOf(':');
  const kind = (colon < 0 ? spec : spec.slice(0, colon)).trim().toLowerCase();
  const arg = colon < 0 ? undefined : spec.slice(colon + 1);
  const needArg = (form: string): string => {
    if (arg === undefined || arg.trim() === '')
      throw new UsageError(`${OPTION} ${form} needs its value (got '${spec}')`, { option: OPTION });
    return arg;
  };
  switch (kind) {
    case 'misclassification':
      if (arg !== undefined)
        throw new UsageError(`${OPTION} misclassification takes no value (got '${spec}')`, {
          option: OPTION,
        });
      return criteria.misclassification(labels);
    case 'confident': {
      const text = needArg('confident:P');
      const p = parseNumber(text, `${OPTION} confident:P`);
      if (!(p > 0 && p <= 1))
        throw new UsageError(`${OPTION} confident:P needs 0 < P <= 1 (got ${text})`, { option: OPTION });
      return criteria.confident(p, labels);
    }
    case 'targeted': {
      const target = classIndex(classNames, needArg('targeted:CLASS'));
      return criteria.targeted(labels.map(() => target));
    }
    case 'topk': {
      const k = parseInteger(needArg('topk:K'), `${OPTION} topk:K`, 1);
      if (k >= classNames.length)
        throw new UsageError(
          `${OPTION} topk:K needs K < ${classNames.length}, the model's number of classes (got ${k})`,
          { option: OPTION },
        );
      return criteria.topK(k, labels);
    }
    default:
      throw new UsageError(`${OPTION}: unknown criterion '${spec}' (${CRITERION_HELP})`, { option: OPTION });
  }
}
