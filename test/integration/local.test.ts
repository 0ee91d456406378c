/**
 * `rmq local` against real RocketMQ JVMs, on ports and dirs of its own so it can run beside the
 * cluster the rest of the suite uses. The first run of a version downloads its jars (tens of
 * seconds); later runs use the per-user cache.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NameServerClient } from '../../src/core/client/namesrv.js';
import { RemotingClient } from '../../src/core/client/remoting-client.js';
import type { UpResult } from '../../src/local/cluster.js';
import type { DownResult } from '../../src/local/down.js';
import type { StatusResult } from '../../src/local/status.js';
import type { SendSummary } from '../../src/services/send/index.js';
import { type CliResult, rmq } from '../helpers/cli.js';
import { startFailureOutput, UP_TIMEOUT_MS, UP_WAIT } from '../helpers/cluster.js';
import { freeClusterPorts, freePortBlock } from '../helpers/ports.js';

interface ErrorBody {
  error: { kind: string; message: string; exitCode: number; hint?: string };
}

const LONG = { timeoutMs: UP_TIMEOUT_MS };
/** A `local up` that may take its whole wait, and the rest of the test. */
const TEST_TIMEOUT = UP_TIMEOUT_MS + 120_000;
const errorOf = (r: CliResult): ErrorBody['error'] => (r.json as ErrorBody).error;

describe('rmq local', () => {
  let root: string;
  const dirs: string[] = [];
  const dir = (name: string): string => {
    const d = join(root, name);
    dirs.push(d);
    return d;
  };

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'rmq-local-it-'));
  });

  after(async () => {
    // Whatever a failed assertion left running.
    for (const d of dirs) await rmq(['local', 'down', '--dir', d, '--purge', '--timeout', '5s', '--json']);
    rmSync(root, { recursive: true, force: true });
  });

  test('up, status, refusals, down, purge', { timeout: TEST_TIMEOUT }, async () => {
    const a = dir('a');
    const { namesrvPort, brokerPort } = await freeClusterPorts();
    const ports = ['--namesrv-port', String(namesrvPort), '--broker-port', String(brokerPort)];

    const upped = await rmq(['local', 'up', '--dir', a, ...ports, ...UP_WAIT, '--json'], LONG);
    assert.equal(upped.code, 0, `${upped.stdout}${upped.stderr}\n${startFailureOutput(a)}`);
    const up = upped.json as UpResult;
    assert.equal(up.namesrvAddr, `127.0.0.1:${namesrvPort}`);
    assert.equal(up.brokerAddr, `127.0.0.1:${brokerPort}`);
    assert.match(up.version, /^5\.3\.\d+$/);
    assert.ok(up.pids.namesrv > 1 && up.pids.broker > 1);
    assert.deepEqual(up.ports, {
      namesrv: namesrvPort,
      broker: brokerPort,
      brokerFast: brokerPort - 2,
      brokerHa: brokerPort + 1,
    });

    const st = await rmq(['local', 'status', '--dir', a, '--json']);
    assert.equal(st.code, 0, st.stderr);
    const status = st.json as StatusResult;
    assert.equal(status.state, 'running');
    assert.equal(status.brokerRegistered, true);
    assert.equal(status.version, up.version);
    assert.equal(status.processes.broker.pid, up.pids.broker);
    assert.ok(status.uptimeMs !== null && status.uptimeMs >= 0);

    // The broker read the generated config as meant: a misspelt key would be ignored silently.
    const cfg = await rmq([
      'broker',
      'config',
      'get',
      up.brokerAddr,
      'waitTimeMillsInSendQueue',
      'mappedFileSizeCommitLog',
      'transactionMetricFlushInterval',
      'timerFlushIntervalMs',
      'timerGetMessageThreadNum',
      '-n',
      up.namesrvAddr,
      '--json',
    ]);
    assert.equal(cfg.code, 0, cfg.stderr);
    assert.deepEqual((cfg.json as { config: Record<string, string> }).config, {
      mappedFileSizeCommitLog: String(64 * 1024 * 1024),
      waitTimeMillsInSendQueue: '1000',
      transactionMetricFlushInterval: '200',
      timerFlushIntervalMs: '10000',
      timerGetMessageThreadNum: '1',
    });

    const logs = await rmq(['local', 'logs', '--dir', a, '--tail', '5', '--json']);
    assert.equal(logs.code, 0, logs.stderr);
    const l = logs.json as { file: string; lines: string[] };
    assert.match(l.file, /rocketmqlogs\/broker\.log$/);
    assert.ok(l.lines.length > 0 && l.lines.length <= 5);

    const again = await rmq(['local', 'up', '--dir', a, ...ports, '--json']);
    assert.equal(again.code, 8, again.stdout);
    assert.equal(errorOf(again).kind, 'environment');
    assert.match(errorOf(again).message, new RegExp(`already running .*127\\.0\\.0\\.1:${namesrvPort}`));
    assert.match(errorOf(again).hint ?? '', /rmq local down/);

    // The clash is of this test's own making: a second cluster on a free name server port and the
    // broker port of the first, which is running.
    const b = dir('b');
    const clash = await rmq([
      'local',
      'up',
      '--dir',
      b,
      '--namesrv-port',
      String(await freePortBlock(1)),
      '--broker-port',
      String(brokerPort),
      '--json',
    ]);
    assert.equal(clash.code, 8, clash.stdout);
    assert.match(errorOf(clash).message, new RegExp(`port ${brokerPort} .*in use`));
    assert.match(errorOf(clash).hint ?? '', /--broker-port/);
    assert.equal(existsSync(join(b, 'state.json')), false);

    const downed = await rmq(['local', 'down', '--dir', a, '--json'], LONG);
    assert.equal(downed.code, 0, downed.stderr);
    const down = downed.json as DownResult;
    assert.equal(down.wasRunning, true);
    assert.deepEqual(down.stopped.map((p) => p.role).sort(), ['broker', 'namesrv']);
    assert.ok(
      down.stopped.every((p) => p.signal === 'SIGTERM'),
      'stopped cleanly, without SIGKILL',
    );
    // A clean stop removes the `abort` marker (else the next start runs recovery).
    assert.equal(existsSync(join(a, 'store', 'abort')), false);

    const stopped = await rmq(['local', 'status', '--dir', a, '--json']);
    assert.equal(stopped.code, 0);
    assert.equal((stopped.json as StatusResult).state, 'stopped');

    const idle = await rmq(['local', 'down', '--dir', a, '--json']);
    assert.equal(idle.code, 0);
    assert.equal((idle.json as DownResult).wasRunning, false);
    assert.match((await rmq(['local', 'down', '--dir', a])).stdout, /no local cluster was running/);

    assert.ok(existsSync(join(a, 'store')), 'down keeps the store');
    const purged = await rmq(['local', 'down', '--dir', a, '--purge', '--json']);
    assert.equal(purged.code, 0);
    assert.equal((purged.json as DownResult).purged, true);
    assert.equal(existsSync(join(a, 'store')), false);
  });

  test(
    'the 4.9 line comes up and serves admin, send (oneway too), consume and delay levels',
    {
      timeout: TEST_TIMEOUT,
    },
    async (t) => {
      const c = dir('c');
      const { namesrvPort, brokerPort } = await freeClusterPorts();
      // 4.9.8 is tried first; Maven Central lacks its namesrv and broker jars, so 4.9.7 is expected.
      const upped = await rmq(
        [
          'local',
          'up',
          '--version',
          '4.9',
          '--dir',
          c,
          '--namesrv-port',
          String(namesrvPort),
          '--broker-port',
          String(brokerPort),
          ...UP_WAIT,
          '--json',
        ],
        LONG,
      );
      assert.equal(upped.code, 0, `${upped.stdout}${upped.stderr}`);
      const up = upped.json as UpResult;
      assert.match(up.version, /^4\.9\.\d+$/);

      const client = new RemotingClient({ timeoutMs: 3000 });
      try {
        const info = await new NameServerClient(client, [up.namesrvAddr]).getClusterInfo();
        const broker = info.brokers.find((x) => x.brokerName === 'broker-a');
        assert.equal(broker?.addrs.get(0), `127.0.0.1:${brokerPort}`);
        assert.deepEqual(info.clusters.get('DefaultCluster'), ['broker-a']);
      } finally {
        client.close();
      }

      // The rest of rmq against 4.9: admin, a send/consume round trip, and delay levels.
      const n = ['-n', up.namesrvAddr];
      const created = await rmq(['topic', 'create', 'compat49', '--queues', '2', '--json', ...n]);
      assert.equal(created.code, 0, created.stderr);
      const described = await rmq(['topic', 'describe', 'compat49', '--json', ...n]);
      assert.equal(described.code, 0, described.stderr);
      assert.equal((described.json as { queues: unknown[] }).queues.length, 2);
      const typed = await rmq(['topic', 'create', 'compat49t', '--type', 'FIFO', ...n]);
      assert.equal(typed.code, 2, 'topic types need 5.x');
      const group = await rmq(['group', 'create', 'compat49g', '--json', ...n]);
      assert.equal(group.code, 0, group.stderr);
      const sent = await rmq([
        'send',
        'compat49',
        '--size',
        '100',
        '--count',
        '20',
        '--tag',
        't',
        '--key',
        'k',
        '--json',
        ...n,
      ]);
      assert.equal(sent.code, 0, sent.stderr);
      const got = await rmq([
        'consume',
        'compat49',
        '-g',
        'compat49g',
        '--from',
        'first',
        '--until-end',
        '--output',
        'ndjson',
        ...n,
      ]);
      assert.equal(got.code, 0, got.stderr);
      const recs = got.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { tags: string; keys: string[] });
      assert.equal(recs.length, 20);
      assert.ok(recs.every((r) => r.tags === 't' && r.keys[0] === 'k'));
      const gd = await rmq(['group', 'describe', 'compat49g', '--json', ...n]);
      assert.equal((gd.json as { totalLag: number }).totalLag, 0, JSON.stringify(gd.json));

      // Oneway's fence (a send to a topic name the broker refuses) works on 4.9 too, which refuses
      // it with SYSTEM_ERROR where 5.x says INVALID_PARAMETER: every message is settled, what is
      // reported ONEWAY is stored, a drop the broker answered is not (README, send).
      const ow = await rmq([
        'send',
        'compat49o',
        '--mode',
        'oneway',
        '--size',
        '100',
        '--count',
        '600',
        '--json',
        ...n,
      ]);
      const owSummary = ow.json as SendSummary;
      assert.ok(owSummary, `${ow.stdout.slice(0, 500)}${ow.stderr}`);
      assert.equal(owSummary.sent + owSummary.failed, 600);
      const owFailed = owSummary.results.filter((x) => x.status === 'FAILED');
      const owDropped = owFailed.filter((x) => x.error?.code === 2 && /CLEAN_QUEUE\]/.test(x.error.message));
      assert.ok(owSummary.sent + owDropped.length > 0, 'fences settled messages');
      const owTopic = await rmq(['topic', 'describe', 'compat49o', '--json', ...n]);
      const owStored = (owTopic.json as { queues: { maxOffset: number }[] }).queues.reduce(
        (a, q) => a + q.maxOffset,
        0,
      );
      t.diagnostic(
        `4.9 oneway: ${owSummary.sent} ONEWAY, ${owFailed.length} FAILED (${owDropped.length} dropped); ${owStored} stored`,
      );
      assert.ok(
        owStored >= owSummary.sent && owStored <= 600 - owDropped.length,
        `${owStored} stored of ${owSummary.sent} ONEWAY and ${owDropped.length} dropped`,
      );

      const timer = await rmq(['send', 'compat49', '--body', 'x', '--delay', '2s', ...n]);
      assert.equal(timer.code, 2, '4.9 has no timer: a clear error, not an immediate delivery');
      assert.match(timer.stderr, /4\.x|delay-level/);
      const sentAt = Date.now();
      const delayed = await rmq(['send', 'compat49', '--body', 'late', '--delay-level', '2', ...n]);
      assert.equal(delayed.code, 0, delayed.stderr);
      const late = await rmq([
        'consume',
        'compat49',
        '-g',
        'compat49g',
        '--count',
        '1',
        '--output',
        'body',
        '--idle-timeout',
        '30s',
        ...n,
      ]);
      assert.equal(late.stdout.trim(), 'late');
      // Level 2 is 5 s; the first consume also spends time starting up, so measure from the send.
      assert.ok(Date.now() - sentAt >= 4500, `delay level 2 delivered after ${Date.now() - sentAt} ms`);

      const downed = await rmq(['local', 'down', '--dir', c, '--purge', '--json'], LONG);
      assert.equal(downed.code, 0, downed.stderr);
      assert.equal((downed.json as DownResult).stopped.length, 2);
    },
  );

  test(
    '--version 4.9.8 comes up, or names the artifact Maven Central lacks',
    {
      timeout: TEST_TIMEOUT,
    },
    async (t) => {
      const d = dir('d');
      const { namesrvPort, brokerPort } = await freeClusterPorts();
      const r = await rmq(
        [
          'local',
          'up',
          '--version',
          '4.9.8',
          '--dir',
          d,
          '--namesrv-port',
          String(namesrvPort),
          '--broker-port',
          String(brokerPort),
          ...UP_WAIT,
          '--json',
        ],
        LONG,
      );
      if (r.code === 0) {
        assert.equal((r.json as UpResult).version, '4.9.8');
        const downed = await rmq(['local', 'down', '--dir', d, '--purge', '--json'], LONG);
        assert.equal(downed.code, 0);
        return;
      }
      assert.equal(r.code, 8, `${r.stdout}${r.stderr}`);
      assert.match(errorOf(r).message, /rocketmq-(namesrv|broker):jar:4\.9\.8 is not on Maven Central/);
      assert.match(errorOf(r).hint ?? '', /--version 4\.9/);
      t.diagnostic('4.9.8 is not on Maven Central; --version 4.9 falls back to the newest 4.9.x that is');
    },
  );
});
