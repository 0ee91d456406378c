/**
 * `rmq smoke` against the real broker: it passes on a healthy cluster and cleans up; it exits 3
 * when the name server cannot be reached (a name server whose only broker stopped:
 * smoke-broker-stopped.test.ts) and 99 when an SLO cannot hold.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SmokeResult } from '../../src/services/smoke/model.js';
import { rmq } from '../helpers/cli.js';

interface ErrorBody {
  error: { kind: string; message: string; exitCode: number; hint?: string };
}

describe('rmq smoke', () => {
  test(
    'passes on the healthy cluster, every type, and deletes what it created',
    { timeout: 120_000 },
    async () => {
      const r = await rmq(['smoke', '--count', '3', '--json'], { timeoutMs: 110_000 });
      assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
      const s = r.json as SmokeResult;
      assert.equal(s.status, 'passed');
      assert.deepEqual(
        s.types.map((t) => [t.type, t.received, t.lost, t.duplicates]),
        [
          ['normal', 3, 0, 0],
          ['fifo', 3, 0, 0],
          ['delay', 3, 0, 0],
          ['transaction', 3, 0, 0],
        ],
      );
      assert.ok(
        s.checks.every((c) => c.ok),
        JSON.stringify(s.checks),
      );
      assert.deepEqual(
        s.checks.map((c) => c.name),
        ['cluster', 'topic', 'normal', 'fifo', 'delay', 'transaction', 'trace', 'cleanup'],
      );
      assert.equal(s.trace?.pub, true);
      assert.equal(s.trace?.subAfter, true);
      assert.ok((s.types.find((t) => t.type === 'delay')?.minDelayMs ?? 0) >= 1000, 'delay messages waited');
      assert.deepEqual(s.cleanup, { topicDeleted: true, groupDeleted: true, errors: [] });
      const gone = await rmq(['topic', 'describe', s.topic, '--json']);
      assert.equal(gone.code, 6, 'the temporary topic is gone');
    },
  );

  test('exits 3 when the name server cannot be reached', async () => {
    const r = await rmq(['smoke', '-n', '127.0.0.1:1', '--json']);
    assert.equal(r.code, 3, r.stdout);
    assert.equal((r.json as ErrorBody).error.kind, 'connection');
    assert.match((r.json as ErrorBody).error.message, /cluster unreachable/);
  });

  test('exits 99 with an SLO no cluster can meet, the checks having held', { timeout: 60_000 }, async () => {
    const r = await rmq(
      [
        'smoke',
        '--types',
        'normal',
        '--count',
        '2',
        '--no-trace',
        '--slo',
        'p99(e2e)<1us',
        '--slo',
        'lost==0',
        '--json',
      ],
      { timeoutMs: 55_000 },
    );
    assert.equal(r.code, 99, `${r.stdout}${r.stderr}`);
    const s = r.json as SmokeResult;
    assert.equal(s.status, 'slo-failed');
    assert.ok(s.checks.every((c) => c.ok));
    assert.deepEqual(
      s.slo.map((x) => [x.expr, x.pass]),
      [
        ['p99(e2e)<1us', false],
        ['lost==0', true],
      ],
    );
    const human = await rmq([
      'smoke',
      '--types',
      'normal',
      '--count',
      '1',
      '--no-trace',
      '--slo',
      'max(send)<1us',
    ]);
    assert.equal(human.code, 99);
    assert.match(human.stdout, /✗ slo max\(send\)<1us/);
    assert.match(human.stdout, /^FAILED \(SLO\)/m);
  });

  test('a bad --slo or --types is a usage error before anything is sent', async () => {
    for (const args of [
      ['--slo', 'tps>5'],
      ['--slo', 'p99(e2e)<5'],
      ['--types', 'normal,bogus'],
    ]) {
      const r = await rmq(['smoke', ...args, '--json']);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`);
    }
  });
});
