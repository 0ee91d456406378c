/** renderTable draws what cli-table3 drew with the same settings, at any number of rows. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Table from 'cli-table3';
import fc from 'fast-check';
import { type Cell, NO_BORDER, renderTable } from '../../src/ui/table.js';

/** The former renderTable, through cli-table3 (quadratic in the rows): the reference. */
function cliTable3(head: string[], rows: Cell[][], align?: ('left' | 'right')[]): string {
  const table = new Table({
    head,
    chars: NO_BORDER,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    ...(align ? { colAligns: align } : {}),
  });
  for (const r of rows) table.push(r.map((v) => (v === null || v === undefined ? '-' : String(v))));
  return table
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}

describe('renderTable', () => {
  // NO_COLOR keeps headers plain, as cli-table3 got them here.
  process.env.NO_COLOR = '1';

  it('matches cli-table3: alignment, wide characters, cells of several lines, empty cells', () => {
    const head = ['NAME', 'Q', 'NOTE'];
    const rows: Cell[][] = [
      ['orders', 8, 'x'],
      ['主题', null, 'two\nlines'],
      ['😀 emoji', 12345, ''],
      ['', undefined, true],
    ];
    assert.equal(
      renderTable(head, rows, { align: ['left', 'right', 'left'] }),
      cliTable3(head, rows, ['left', 'right', 'left']),
    );
    assert.equal(renderTable(head, []), cliTable3(head, []));
  });

  it('matches cli-table3 on random tables', () => {
    const text = fc.string({
      unit: fc.constantFrom('a', 'Z', '9', ' ', '-', 'é', '中', '😀', '\n'),
      maxLength: 12,
    });
    const cell = fc.oneof(text, fc.integer(), fc.constant(null));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((n) =>
          fc.tuple(
            fc.array(
              text.filter((h) => !h.includes('\n')),
              { minLength: n, maxLength: n },
            ),
            fc.array(fc.array(cell, { minLength: n, maxLength: n }), { maxLength: 6 }),
            fc.array(fc.constantFrom('left' as const, 'right' as const), { minLength: n, maxLength: n }),
          ),
        ),
        ([head, rows, align]) => {
          assert.equal(renderTable(head, rows, { align }), cliTable3(head, rows, align));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('draws 100,000 rows (cli-table3 took a minute for 7,000)', () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => [`topic_${i}`, 8, 8, 'RW', null, 'broker-a']);
    const out = renderTable(['TOPIC', 'WRITE Q', 'READ Q', 'PERM', 'TYPE', 'BROKERS'], rows);
    const lines = out.split('\n');
    assert.equal(lines.length, 100_001);
    assert.equal(lines[100_000], 'topic_99999  8        8       RW    -     broker-a');
  });
});
