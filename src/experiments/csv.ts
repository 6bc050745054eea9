/** CSV (RFC 4180) text and files for the experiments' tables. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

function cell(value: string | number | boolean | null): string {
  const text = value === null ? '' : typeof value === 'number' ? formatCsvNumber(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Numbers keep up to 6 significant digits (probabilities and pixel values need no more). */
export function formatCsvNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

export function toCsv(
  header: readonly string[],
  rows: readonly (readonly (string | number | boolean | null)[])[],
): string {
  for (const [i, row] of rows.entries()) {
    if (row.length !== header.length)
      throw new Error(`csv: row ${i} has ${row.length} values for ${header.length} columns`);
  }
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\n') + '\n';
}

/** Writes a text file, creating its folder; an existing file is replaced only with `overwrite`. */
export function writeTextFile(path: string, text: string, options: { overwrite?: boolean } = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  try {
    writeFileSync(path, text, { flag: options.overwrite === true ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new Error(`${path}: file exists; refusing to overwrite it`, { cause: error });
    throw new Error(`${path}: cannot write (${(error as Error).message})`, { cause: error });
  }
}
