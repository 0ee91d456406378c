/**
 * `rmq smoke` against the real broker: it passes on a healthy cluster and cleans up; it exits 3
 * when the cluster cannot be reached (a dead name server, or a name server whose only broker
 * stopped) and 99 when an SLO cannot hold.
 */
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { SmokeResult } from '../../src/services/smoke/model.js';
import { rmq } from '../helpers/cli.js';
import { UP_TIMEOUT_MS, UP_WAIT } from '../helpers/cluster.js';
import { freeClusterPorts } from '../helpers/ports.js';
import { poll } from '../helpers/read-topic.js';

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

  test(
    'exits 3 when the only broker of a cluster has stopped (a second cluster of its own)',
    { timeout: UP_TIMEOUT_MS + 120_000 },
    async (t) => {
      if (process.env.RMQ_TEST_SKIP_SECOND_CLUSTER) return t.skip('RMQ_TEST_SKIP_SECOND_CLUSTER is set');
      const dir = mkdtempSync(join(tmpdir(), 'rmq-smoke-it-'));
      const { namesrvPort, brokerPort } = await freeClusterPorts();
      try {
        // On free ports a refusal to start is a failure, not a reason to skip.
        const up = await rmq(
          [
            'local',
            'up',
            '--dir',
            dir,
            '--namesrv-port',
            String(namesrvPort),
            '--broker-port',
            String(brokerPort),
            ...UP_WAIT,
            '--json',
          ],
          { timeoutMs: UP_TIMEOUT_MS },
        );
        assert.equal(up.code, 0, `${up.stdout}${up.stderr}`);
        const ns = ['-n', `127.0.0.1:${namesrvPort}`];
        const healthy = await rmq([
          'smoke',
          ...ns,
          '--types',
          'normal',
          '--count',
          '1',
          '--no-trace',
          '--json',
        ]);
        assert.equal(healthy.code, 0, `${healthy.stdout}${healthy.stderr}`);

        // Stop only the broker this test started (its pid from the cluster's own state file).
        const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as {
          pids?: { broker?: number };
        };
        const pid = state.pids?.broker;
        assert.ok(pid && pid > 1, `no broker pid in ${JSON.stringify(state)}`);
        process.kill(pid, 'SIGTERM');
        assert.ok(
          await poll(async () => {
            try {
              process.kill(pid, 0);
              return false;
            } catch {
              return true;
            }
          }, 60_000),
          'the broker stopped',
        );
        const r = await rmq(['smoke', ...ns, '--count', '1', '--json'], { timeoutMs: 60_000 });
        assert.equal(r.code, 3, r.stdout);
        assert.equal((r.json as ErrorBody).error.kind, 'connection');
      } finally {
        await rmq(['local', 'down', '--dir', dir, '--purge', '--timeout', '10s', '--json'], {
          timeoutMs: 60_000,
        });
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
