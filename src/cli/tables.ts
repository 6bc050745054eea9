/** Console tables. */
import Table from 'cli-table3';
import type { Prediction } from '../models/model.js';

export function table(head: string[], rows: (string | number)[][]): string {
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) t.push(row.map((c) => (typeof c === 'number' ? formatNumber(c) : c)));
  return t.toString();
}

export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(4) : v.toExponential(2);
}

/** The book's Tables 10.1/10.2: rank, class, probability. */
export function topTable(top: Prediction[]): string {
  return table(
    ['#', 'class', 'p'],
    top.map((p, i) => [i + 1, `${p.name} (${p.index})`, p.p.toFixed(4)]),
  );
}
