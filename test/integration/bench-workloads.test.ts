/**
 * `rmq bench`'s workload options against the real broker, in short runs one at a time (about
 * 45 s in all): a backlog built with consumers held and drained to 0, a rate profile's steps, and
 * size and key distributions and --payload-dir bodies as the broker stored them (read back with
 * `rmq consume`). The topic and groups are named, so no run waits for the cleanup of made-up
 * groups (6 s each).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BenchResult } from '../../src/bench/result.js';
import { rmq, uniqueName } from '../helpers/cli.js';

const topic = uniqueName('bench_wl');
const groups: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'rmq-bench-wl-'));

/** A bench on the suite's topic with a group of its own; its --json result. */
async function bench(args: string[], t: { diagnostic: (s: string) => void }): Promise<BenchResult> {
  const group = uniqueName('bench_wl_g');
  groups.push(group);
  const res = await rmq(['bench', '--topic', topic, '--group', group, '--json', ...args], {
    timeoutMs: 90_000,
  });
  assert.equal(res.code, 0, res.stderr);
  const r = res.json as BenchResult;
  t.diagnostic(
    `${args.join(' ')}: sent ${r.totals.sent}, received ${r.totals.received}, measured ${r.phases.measureMs} ms, ${res.ms} ms in all`,
  );
  return r;
}

interface Stored {
  queueId: number;
  keys: string[] | null;
  body: string;
  properties: Record<string, string>;
}

/** Every message of `runId` stored on the topic, read from the start by a new group. */
async function stored(runId: string): Promise<Stored[]> {
  const group = uniqueName('bench_wl_read');
  groups.push(group);
  const res = await rmq(['consume', topic, '-g', group, '--from', 'first', '--until-end', '-o', 'ndjson'], {
    timeoutMs: 60_000,
  });
  assert.equal(res.code, 0, res.stderr);
  return res.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Stored)
    .filter((m) => m.properties.rmqb?.startsWith(`${runId}.`));
}

before(async () => {
  const res = await rmq(['topic', 'create', topic, '--queues', '8', '--json']);
  assert.equal(res.code, 0, res.stderr);
});

after(async () => {
  for (const g of groups) await rmq(['group', 'delete', g, '--yes']);
  await rmq(['topic', 'delete', topic, '--yes']);
  rmSync(dir, { recursive: true, force: true });
});

describe('bench workloads against the broker', () => {
  test('--backlog: built with the consumers held to at least the size asked, then drained to 0', async (t) => {
    const r = await bench(['--rate', '1000', '--size', '1k', '--backlog', '1MiB', '--duration', '2s'], t);
    const b = r.workload!.backlog!;
    t.diagnostic(
      `built ${b.builtMessages} messages / ${b.builtBytes} bytes in ${b.buildMs} ms; caught up in ${b.catchUpMs} ms, drain ${b.drainTps} msg/s, net ${b.netDrainTps} msg/s`,
    );
    assert.equal(b.built, true);
    assert.ok(b.builtBytes >= 1024 * 1024, `built ${b.builtBytes} bytes`);
    assert.ok(b.builtMessages >= 1024, `built ${b.builtMessages} messages`);
    // Nothing was received before the backlog was built: the first second's intervals are empty.
    assert.equal(
      r.intervals.filter((i) => i.endMs <= Math.min(1000, b.buildMs!)).reduce((a, i) => a + i.received, 0),
      0,
    );
    assert.equal(b.caughtUp, true);
    assert.ok(b.catchUpMs! >= 0 && b.drainTps! > 0 && b.netDrainTps! > 0, JSON.stringify(b));
    // Consumers took the backlog faster than it was produced: that is what catching up means.
    assert.ok(b.drainTps! > 1000, `drained at ${b.drainTps} msg/s against 1000 produced`);
    // Drained to 0: every acknowledged message was received, and the last interval shows none left.
    assert.equal(r.totals.received, r.totals.sent);
    assert.equal(r.intervals.at(-1)!.backlog, 0);
    assert.ok(r.totals.sent >= 1024);
  });

  test('--rate-profile: each step at its rate, never ahead of the schedule', async (t) => {
    // 256 in flight: replies of up to 640 ms still hold 400 msg/s (at the default 32, a broker
    // answering in 90 ms on a loaded box capped the second step at 345 msg/s in CI).
    const r = await bench(['--rate-profile', '100@3s,400@3s', '--consumers', '0', '--inflight', '256'], t);
    const steps = r.workload!.rateProfile!.steps;
    t.diagnostic(
      steps.map((s) => `${s.description}: due ${s.due}, sent ${s.sent}, ${s.tps} msg/s`).join('; '),
    );
    assert.equal(steps.length, 2);
    assert.deepEqual(
      steps.map((s) => s.due),
      [300, 1200],
    );
    assert.equal(r.parameters.rate, 400);
    // Never ahead: by the end of each step at most what was due by then (+1 for the first due at 0).
    assert.ok(steps[0]!.sent <= 300 + 1, `step 1 sent ${steps[0]!.sent}`);
    assert.ok(steps[0]!.sent + steps[1]!.sent <= 1500 + 1);
    // Everything due went out (late at worst, as bench.test.ts's rate runs allow: 5 %).
    assert.ok(r.totals.sent >= 1500 * 0.95, `sent ${r.totals.sent} of 1500`);
    // The steps are visible: the second ran at more than twice the first's rate (4× asked).
    assert.ok(steps[1]!.tps > 2 * steps[0]!.tps, `${steps[0]!.tps} then ${steps[1]!.tps} msg/s`);
  });

  test('--size range and --keys zipf: what the broker stored is within the range and the keys', async (t) => {
    const r = await bench(
      [
        '--rate',
        '300',
        '--duration',
        '2s',
        '--size',
        '1k..4k',
        '--keys',
        '5',
        '--key-dist',
        'zipf:1.5',
        '--consumers',
        '0',
      ],
      t,
    );
    assert.equal(r.workload!.sizes!.min, 1024);
    assert.equal(r.workload!.sizes!.max, 4096);
    const msgs = await stored(r.runId);
    t.diagnostic(`${msgs.length} messages of run ${r.runId} read back`);
    assert.equal(msgs.length, r.totals.sent);
    const sizes = msgs.map((m) => Buffer.byteLength(m.body));
    assert.ok(
      sizes.every((n) => n >= 1024 && n <= 4096),
      `sizes ${Math.min(...sizes)}..${Math.max(...sizes)}`,
    );
    // Uniform over the range: neither end is missing (600 draws over 3 KiB).
    assert.ok(Math.min(...sizes) < 1400 && Math.max(...sizes) > 3700);
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    assert.ok(Math.abs(mean - r.workload!.sizes!.sentMean!) < 1, `${mean} vs ${r.workload!.sizes!.sentMean}`);
    const byKey = new Map<string, Set<number>>();
    for (const m of msgs) {
      assert.equal(m.keys?.length, 1);
      const k = m.keys![0]!;
      let qs = byKey.get(k);
      if (!qs) byKey.set(k, (qs = new Set()));
      qs.add(m.queueId);
    }
    assert.ok(
      byKey.size <= 5 && [...byKey.keys()].every((k) => /^k[0-4]$/.test(k)),
      [...byKey.keys()].join(','),
    );
    // The key picks the queue: one queue per key.
    for (const [k, qs] of byKey) assert.equal(qs.size, 1, `${k} in queues ${[...qs].join(',')}`);
    // zipf:1.5 over 5 keys: k0 takes 1/H(5, 1.5) = 58 % of the messages.
    const k0 = msgs.filter((m) => m.keys![0] === 'k0').length / msgs.length;
    assert.ok(k0 > 0.48 && k0 < 0.68, `k0 took ${k0}`);
  });

  test('--payload-dir and --consume-time: the files are the bodies; slow consumers fall behind', async (t) => {
    const files = join(dir, 'bodies');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(files);
    writeFileSync(join(files, 'a.txt'), 'alpha-'.repeat(10));
    writeFileSync(join(files, 'b.txt'), 'bravo-'.repeat(100));
    writeFileSync(join(files, 'c.txt'), 'charlie-'.repeat(300));
    writeFileSync(join(files, '.skipped'), 'never');
    // One consumer at 10 ms per message takes 100 msg/s of the 300 sent.
    const r = await bench(
      [
        '--rate',
        '300',
        '--duration',
        '3s',
        '--payload-dir',
        files,
        '--consume-time',
        '10ms',
        '--drain',
        '1s',
      ],
      t,
    );
    assert.deepEqual(r.workload!.payloadDir, {
      dir: files,
      files: 3,
      bytes: 60 + 600 + 2400,
      minSize: 60,
      maxSize: 2400,
    });
    const ct = r.workload!.consumeTime!;
    t.diagnostic(
      `backlog max ${ct.maxBacklog}, at the end ${ct.endBacklog}, growth ${ct.growthPerS} msg/s; receive ${r.throughput.receive.tps} msg/s`,
    );
    assert.ok(r.throughput.receive.tps <= 100 * 1.05, `received ${r.throughput.receive.tps} msg/s`);
    assert.ok(ct.growthPerS! > 100, `growth ${ct.growthPerS} msg/s`);
    assert.ok(ct.endBacklog > 300, `backlog ${ct.endBacklog} when sending stopped`);
    const msgs = await stored(r.runId);
    const bodies = new Set(msgs.map((m) => m.body));
    assert.deepEqual([...bodies].sort(), ['alpha-'.repeat(10), 'bravo-'.repeat(100), 'charlie-'.repeat(300)]);
    // In turn by name: a, b, c, a, … per producer (one producer here).
    const bySeq = msgs
      .map((m) => ({ seq: Number(m.properties.rmqb!.split('.')[2]), body: m.body[0] }))
      .sort((a, b) => a.seq - b.seq);
    assert.ok(bySeq.every((m) => m.body === 'abc'[m.seq % 3]));
  });
});
