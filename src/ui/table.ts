/** Borderless, kubectl-style tables (easy to read and to grep/awk), bold headers on a TTY. */
import Table from 'cli-table3';
import type { TextEscape } from '../services/message-record.js';
import { stdoutColor } from './color.js';
import { escapeFor } from './terminal-text.js';

export const NO_BORDER = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

export type Cell = string | number | boolean | null | undefined;

export function renderTable(
  head: string[],
  rows: Cell[][],
  options: {
    align?: ('left' | 'right')[];
    /** For each cell (names, addresses, remarks from the wire); default: stdout's. */
    escape?: TextEscape;
  } = {},
): string {
  const c = stdoutColor();
  const escape = options.escape ?? escapeFor(process.stdout);
  const table = new Table({
    head: head.map((h) => c.bold(h)),
    chars: NO_BORDER,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    ...(options.align ? { colAligns: options.align } : {}),
  });
  for (const r of rows) table.push(r.map((v) => (v === null || v === undefined ? '-' : escape(String(v)))));
  return table
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}
