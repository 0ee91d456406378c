/** Borderless, kubectl-style tables (easy to read and to grep/awk), bold headers on a TTY. */
import stringWidth from 'string-width';
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

/** Text whose width is its length (most cells): string-width costs far more per cell. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * The table cli-table3 draws with NO_BORDER, no padding and compact rows (columns two spaces
 * apart, a cell's lines stacked, each line trimmed at the end), drawn here because cli-table3's
 * layout is quadratic in the rows: 7,000 topics took a minute, 70,000 would take hours.
 */
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
  const width = (line: string) => (PRINTABLE_ASCII.test(line) ? line.length : stringWidth(line));
  const table = [
    head.map((h) => c.bold(h)),
    ...rows.map((r) => r.map((v) => (v === null || v === undefined ? '-' : escape(String(v))))),
  ];
  const columns = table.reduce((n, r) => Math.max(n, r.length), 0);
  // cli-table3 gives an empty column one character.
  const widths: number[] = new Array<number>(columns).fill(1);
  for (const r of table) {
    for (const [i, v] of r.entries()) {
      for (const line of v.includes('\n') ? v.split('\n') : [v])
        widths[i] = Math.max(widths[i]!, width(line));
    }
  }
  const draw = (cells: string[]): string => {
    let text = '';
    for (let i = 0; i < columns; i++) {
      const v = cells[i] ?? '';
      const pad = ' '.repeat(widths[i]! - width(v));
      if (i > 0) text += '  ';
      text += options.align?.[i] === 'right' ? pad + v : v + pad;
    }
    return text.trimEnd();
  };
  const out: string[] = [];
  for (const r of table) {
    if (!r.some((v) => v.includes('\n'))) {
      out.push(draw(r));
      continue;
    }
    // A cell of several lines makes the row as many lines high, the other cells blank below.
    const cells = r.map((v) => v.split('\n'));
    const height = Math.max(...cells.map((l) => l.length));
    for (let li = 0; li < height; li++) out.push(draw(cells.map((l) => l[li] ?? '')));
  }
  return out.join('\n');
}
