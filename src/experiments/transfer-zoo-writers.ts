/** Outputs of the zoo transfer experiment: a long-format CSV and the matrix as table rows. */
import { toCsv } from './csv.js';
import type { TransferZooResult } from './transfer-zoo.js';

export const TRANSFER_CSV_FILE = 'transfer_zoo.csv';
export const TRANSFER_CSV_COLUMNS = [
  'source',
  'target',
  'attack',
  'eps',
  'evaluated',
  'flipped',
  'flip_rate',
] as const;

export function transferZooCsv(result: TransferZooResult): string {
  return toCsv(
    TRANSFER_CSV_COLUMNS,
    result.matrix
      .flat()
      .map((c) => [c.source, c.target, result.attack, result.eps, c.evaluated, c.flipped, c.flipRate]),
  );
}

export function formatRate(rate: number | null): string {
  return rate === null ? 'n/a' : `${(100 * rate).toFixed(1)}%`;
}

/** Header and rows of the flip-rate matrix: one row per source model, one column per target. */
export function transferMatrixTable(result: TransferZooResult): { head: string[]; rows: string[][] } {
  return {
    head: ['crafted on \\ evaluated on', ...result.models],
    rows: result.matrix.map((row, s) => [
      result.models[s],
      ...row.map((c) => `${formatRate(c.flipRate)} (${c.flipped}/${c.evaluated})`),
    ]),
  };
}
