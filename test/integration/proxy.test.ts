/**
 * Drill 5 of "real cluster shapes": a one-node 5.3.3 cluster with `local up --proxy`, and rmq
 * through the proxy's remoting port: send, consume, a verified bench (direct and through the
 * proxy in one run, figures via t.diagnostic), administration refused in one line, the proxy as a
 * node of `local status|logs|stop|start`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BenchResult } from '../../src/bench/result.js';
import type { UpResult } from '../../src/local/cluster.js';
import type { NodeActionResult } from '../../src/local/nodes.js';
import type { StatusResult } from '../../src/local/status.js';
import { rmq, uniqueName } from '../helpers/cli.js';
import { startCluster, type TestCluster, UP_TIMEOUT_MS } from '../helpers/cluster.js';
import { freePortBlock } from '../helpers/ports.js';

describe('rmq through a 5.x proxy', () => {
  let c: TestCluster;
  let up: UpResult;
  let proxy: string;
  const topic = uniqueName('proxy_t');

  before(async () => {
    // Name server at base, the proxy at base + 10 (remoting) and + 11 (gRPC); the broker apart.
    const base = await freePortBlock(12);
    const broker = await freePortBlock(4);
    c = await startCluster('proxy', base, broker + 2, { version: '5.3.3', args: ['--proxy'] });
    up = c.upResult;
    proxy = up.proxy!.remotingAddr;
  });

  after(async () => {
    await c?.down();
  });

  test('up names the proxy, status lists it', { timeout: UP_TIMEOUT_MS }, async (t) => {
    assert.ok(up.proxy, 'up --json has no proxy');
    const base = Number(c.namesrv.split(':')[1]);
    assert.equal(up.proxy.remotingAddr, `127.0.0.1:${base + 10}`);
    assert.equal(up.proxy.grpcAddr, `127.0.0.1:${base + 11}`);
    // RSS from /proc: what a proxy costs beside its broker.
    const rss = Number(/VmRSS:\s+(\d+)/.exec(await readStatus(up.proxy.pid))?.[1] ?? NaN);
    t.diagnostic(
      `proxy serving ${(up.proxy.startMs / 1000).toFixed(1)}s after its JVM started; RSS ${(rss / 1024).toFixed(0)} MiB; whole up ${(up.elapsedMs / 1000).toFixed(1)}s`,
    );
    const st = (await rmq(['local', 'status', '--dir', c.dir, '--json'])).json as StatusResult;
    assert.equal(st.state, 'running');
    assert.equal(st.proxy?.role, 'proxy');
    assert.equal(st.proxy?.up, true);
    assert.equal(st.proxy?.pid, up.proxy.pid);
    assert.equal(st.proxy?.grpcAddress, up.proxy.grpcAddr);
  });

  test('send and consume through the proxy; administration there is one line, exit 5', async () => {
    const created = await rmq(['topic', 'create', topic, '--queues', '4', ...c.n, '--json']);
    assert.equal(created.code, 0, created.stderr);

    const sent = await rmq(['send', topic, '--body', 'via-proxy', '--count', '20', '-n', proxy, '--json']);
    assert.equal(sent.code, 0, sent.stderr);

    const got = await rmq(
      ['consume', topic, '-g', `${topic}_g`, '--from', 'first', '--count', '20', '-o', 'body', '-n', proxy],
      { timeoutMs: 60_000 },
    );
    assert.equal(got.code, 0, got.stderr);
    assert.equal(
      got.stdout
        .trim()
        .split('\n')
        .filter((l) => l === 'via-proxy').length,
      20,
    );

    const admin = await rmq(['cluster', 'list', '-n', proxy]);
    assert.equal(admin.code, 5, admin.stderr);
    const lines = admin.stderr.trim().split('\n');
    assert.equal(lines.length, 1, admin.stderr);
    assert.match(
      lines[0]!,
      /no name server \(a RocketMQ 5\.x proxy serves sending and consuming, no administration\)/,
    );
    assert.match(lines[0]!, /point --namesrv at a name server/);
  });

  test('bench direct and through the proxy in one run, verified', { timeout: 180_000 }, async (t) => {
    const run = await rmq(
      [
        'bench',
        ...c.n,
        '--proxy',
        proxy,
        '--topic',
        topic,
        '--rate',
        '300',
        '--duration',
        '5s',
        '--warmup',
        '1s',
        '--drain',
        '15s',
        '--verify',
        '--json',
      ],
      { timeoutMs: 150_000 },
    );
    assert.equal(run.code, 0, `${run.stderr}`);
    const r = run.json as BenchResult;
    const hop = r.proxyHop!;
    assert.equal(hop.address, proxy);
    for (const [name, x] of [
      ['direct', r],
      ['proxy', hop.result],
    ] as const) {
      assert.equal(x.verification?.lost, 0, `${name}: lost ${x.verification?.lost}`);
      assert.ok(x.totals.measuredSent > 0, `${name}: nothing sent`);
      assert.equal(x.totals.sendErrors, 0, `${name}: send errors`);
    }
    const us = (v: number | undefined) => (v === undefined ? '-' : `${(v / 1000).toFixed(1)} ms`);
    for (const [name, x] of [
      ['direct', r],
      ['through the proxy', hop.result],
    ] as const) {
      t.diagnostic(
        `${name}: ${x.throughput.send.tps.toFixed(0)} msg/s sent, send p50 ${us(x.latency.send?.p50)} p99 ${us(x.latency.send?.p99)}, e2e p50 ${us(x.latency.e2e?.p50)} p99 ${us(x.latency.e2e?.p99)}, lost ${x.verification?.lost}`,
      );
    }
    t.diagnostic(`proxy ÷ direct: ${JSON.stringify(hop.ratios)}`);
  });

  test('the proxy is a node: logs, stop, start', { timeout: UP_TIMEOUT_MS }, async (t) => {
    const logs = await rmq(['local', 'logs', '--node', 'proxy', '--dir', c.dir, '--tail', '5', '--json']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match((logs.json as { file: string }).file, /nodes\/proxy\//);

    const stopped = await rmq(['local', 'stop', 'proxy', '--dir', c.dir, '--json']);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal((stopped.json as NodeActionResult).wasRunning, true);
    const partial = (await rmq(['local', 'status', '--dir', c.dir, '--json'])).json as StatusResult;
    assert.equal(partial.state, 'partial');
    assert.equal(partial.proxy?.up, false);

    const started = await rmq(['local', 'start', 'proxy', '--dir', c.dir, '--wait', '120s', '--json'], {
      timeoutMs: 150_000,
    });
    assert.equal(started.code, 0, started.stderr);
    t.diagnostic(
      `local start proxy: serving after ${((started.json as NodeActionResult).elapsedMs / 1000).toFixed(1)}s`,
    );
    const sent = await rmq(['send', topic, '--body', 'again', '-n', proxy]);
    assert.equal(sent.code, 0, sent.stderr);
  });
});

async function readStatus(pid: number): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
}
