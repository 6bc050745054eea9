/** Section 'clean': the top-3 of the photo as the model sees it (the book's Table 10.1). */
import type { Model, Prediction } from '../../models/model.js';
import type { ReportBlock } from '../html-report.js';
import { TOP_HEAD, topRows } from './chapter-sections.js';

export function cleanPredictionsBlocks(
  photo: string,
  model: Model,
  clean: readonly Prediction[],
): ReportBlock[] {
  return [
    {
      kind: 'paragraph',
      text: `${photo} as ${model.name} sees it (${model.inputShape[0]}x${model.inputShape[1]}, centre crop).`,
    },
    { kind: 'table', head: TOP_HEAD, rows: topRows(clean) },
  ];
}
