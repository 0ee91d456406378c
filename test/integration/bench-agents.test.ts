/**
 * Bench agents against a real broker: three `rmq bench agent` processes in one pool and a
 * coordinator `rmq bench --agents 3`. A run at a fixed total rate holds it, its merged counts and
 * histogram totals are the sums of the agents' own, the agents start together (each reports its
 * actual start in coordinator time) and verify finds nothing lost across them; then an agent is
 * killed mid-run and is named within 5 s, with a partial result and exit 3; a coordinator that the
 * box does not run for a while does not blame its agents for its own pause.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BenchResult } from '../../src/bench/result.js';
import { type Background, rmq, rmqBackground, uniqueName } from '../helpers/cli.js';
import { waitUntil } from '../helpers/cluster.js';

const pool = uniqueName('it')
  .replace(/[^A-Za-z0-9_-]/g, '_')
  .slice(0, 40);
const agents: Background[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A coordinated run on two of the pool's agents, a producer and a consumer each. */
const onTwoAgents = ['bench', '--agents', '2', '--pool', pool, '--producers', '2', '--consumers', '2'];

async function waitFor(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * 300 msg/s per agent. The file runs beside two other lanes of JVMs on a 2-core box: at 1,500 (and
 * three consumers, and verify) one CI run fell 7 % short, with no broker or agent to blame that
 * its log could show. What is judged is that a total rate is held, merged and started together.
 */
const RATE = 900;
const DURATION_S = 20;

describe('bench agents', { timeout: 240_000 }, () => {
  before(async () => {
    // Each agent in a session of its own, as on a host of its own: in the runner's session the
    // three shared one slice of the CPU with the runner and its CLI calls, against each JVM of
    // the other lanes (`npm run bench:start -- --same-session` shows what that does to a start).
    for (let i = 1; i <= 3; i++) {
      agents.push(
        rmqBackground(['bench', 'agent', '--pool', pool, '--id', `a${i}`], {
          timeoutMs: 230_000,
          ownSession: true,
        }),
      );
    }
    await waitFor(
      'three agents to join',
      () => agents.every((a) => a.stderr().includes('joined pool')),
      60_000,
    );
  });

  // Agents are always killed, whatever happened (they would wait for runs for ever).
  after(async () => {
    for (const a of agents) a.kill('SIGKILL');
    await Promise.all(agents.map((a) => a.done));
    // The pool's bus stays on a cluster until deleted; this pool was the test's own.
    const bus = `rmq_bench_pool_${pool}`;
    for (const t of [`${bus}_control`, `${bus}_results`]) await rmq(['topic', 'delete', t, '--yes']);
    for (const g of [`${bus}_agents`, `${bus}_coordinators`]) await rmq(['group', 'delete', g, '--yes']);
  });

  test('three agents hold a total rate, merge exactly, start together and lose nothing', async (t) => {
    const run = rmqBackground(
      [
        'bench',
        '--agents',
        '3',
        '--pool',
        pool,
        '--producers',
        '3',
        '--consumers',
        '3',
        '--rate',
        String(RATE),
        // Room for three seconds of replies at each producer's 300 msg/s (Little's law): with the
        // default 32 in flight, replies 64 ms late cap 500 msg/s, and in a CI-like run on the busy
        // box 4,083 messages fell due with no room to go (1,295.8 msg/s of 1,500).
        '--inflight',
        '1024',
        '--duration',
        `${DURATION_S}s`,
        '--verify',
        // This run is about rate, merge and start, not loss detection (the next test's): on a
        // loaded CI box a hello can be late by more than the default 3 s, and the run then ended
        // with exit 3 (an agent named lost).
        '--agent-timeout',
        '10s',
        '--metrics-port',
        '0',
        '--json',
      ],
      { timeoutMs: 120_000 },
    );
    // Live metrics of a coordinated run carry each agent's name, and each agent's sends per broker
    // (its ticks carry them over the bus): scraped once intervals flow.
    let page = '';
    await waitUntil(
      'a metrics page with the intervals and the per-broker sends of every agent',
      async () => {
        const url = /metrics at (http:\/\/\S+)/.exec(run.stderr())?.[1];
        if (!url) {
          page = `no address on stderr yet: ${run.stderr().slice(-300)}`;
          return false;
        }
        const got = await fetch(url, { headers: { accept: 'text/plain' } })
          .then((r) => r.text())
          .catch(() => undefined);
        if (got === undefined) return false; // not serving yet, or the run is over
        page = got;
        return ['a1', 'a2', 'a3'].every(
          (id) =>
            new RegExp(`^rmq_bench_messages_sent_total\\{[^}]*agent="${id}"[^}]*\\} [1-9]`, 'm').test(page) &&
            new RegExp(
              `^rmq_bench_broker_messages_sent(_total)?\\{agent="${id}",broker="[^"]+"\\} [1-9]`,
              'm',
            ).test(page),
        );
      },
      60_000,
      500,
    ).catch((err: Error) => assert.fail(`${err.message}:\n${page.slice(0, 2000)}`));
    assert.doesNotMatch(page, /agent="local"/);
    const res = await run.done;
    assert.equal(
      res.code,
      0,
      `${res.stderr}\n${JSON.stringify((res.json as BenchResult | undefined)?.agents ?? res.stdout.slice(0, 2000))}`,
    );
    const r = res.json as BenchResult;
    const a = r.agents!;
    assert.equal(a.agents.length, 3);
    assert.deepEqual(a.missing, []);
    // The schedule makes RATE × DURATION messages due. What the agents are judged on is that they
    // held it: every due message sent on time, answered by the broker one way or the other. The
    // broker's answers are its own: the shared broker of a loaded CI box once refused 334 of
    // 18,000 after retries (SYSTEM_BUSY from its send queue, and timeouts) with 0 unsent, which
    // read as 883.3 msg/s of 900 when only acknowledgements were counted.
    const attempted = r.totals.sent + r.totals.sendErrors;
    const rate = attempted / DURATION_S;
    const errors = r.errors.map((e) => `${e.key} ${e.count}`).join(', ') || 'none';
    t.diagnostic(
      `rate: ${attempted} sent on schedule in ${DURATION_S} s = ${rate.toFixed(1)} msg/s of ${RATE} (${((rate / RATE - 1) * 100).toFixed(2)} %), ${r.totals.sent} acknowledged, ${r.totals.sendErrors} refused (${errors}), measure window ${r.phases.measureMs} ms, ${r.totals.unsent} unsent`,
    );
    const agentsSaid = () =>
      `per agent ${a.agents.map((x) => `${x.id} ${x.totals?.sent ?? '?'} sent/${x.totals?.sendErrors ?? '?'} errors, start lag ${x.startLagMs} ms`).join(', ')}; agents said: ${agents.map((x) => x.stderr().trim().split('\n').slice(-4).join(' | ')).join(' || ')}`;
    assert.ok(
      Math.abs(rate - RATE) <= RATE * 0.01,
      `${rate} msg/s is not within 1 % of ${RATE}: ${r.totals.unsent} unsent, ${r.totals.sendErrors} send errors (${errors}), ${agentsSaid()}`,
    );
    // The broker's refusals are its load, and only of the kinds a busy broker gives; nearly all
    // was acknowledged (a send path that failed on its own would not be).
    assert.deepEqual(
      r.errors.filter((e) => e.key !== 'SYSTEM_BUSY(2)' && e.key !== 'timeout'),
      [],
      `send errors other than a busy broker's: ${errors}`,
    );
    assert.ok(r.totals.sent >= 0.95 * RATE * DURATION_S, `${r.totals.sent} acknowledged: ${agentsSaid()}`);
    // Merged = the sum of the agents' own.
    const sum = (f: (x: (typeof a.agents)[number]) => number) => a.agents.reduce((n, x) => n + f(x), 0);
    assert.equal(
      r.totals.sent,
      sum((x) => x.totals!.sent),
    );
    assert.equal(
      r.totals.received,
      sum((x) => x.totals!.received),
    );
    assert.equal(
      r.latency.send!.count,
      sum((x) => x.histogramCounts!.send ?? 0),
    );
    assert.equal(
      r.latency.e2e!.count,
      sum((x) => x.histogramCounts!.e2e ?? 0),
    );
    const intervalSent = r.intervals.reduce((n, i) => n + i.sent, 0);
    assert.equal(intervalSent, r.totals.sent, 'the merged intervals hold every acknowledgement');
    t.diagnostic(
      `merged: sent ${r.totals.sent} = ${a.agents.map((x) => x.totals!.sent).join(' + ')}; received ${r.totals.received} = ${a.agents.map((x) => x.totals!.received).join(' + ')}; send histogram ${r.latency.send!.count}, e2e histogram ${r.latency.e2e!.count} = ${a.agents.map((x) => x.histogramCounts!.e2e).join(' + ')}`,
    );
    // Started together: each agent's actual start, in coordinator time.
    t.diagnostic(
      `start spread ${a.startSpreadMs} ms; lags ${a.agents.map((x) => `${x.id} ${x.startLagMs} ms`).join(', ')}; clocks ${a.agents.map((x) => `${x.id} ${x.clock.offsetMs} ± ${x.clock.uncertaintyMs} ms (${x.clock.samples} samples)`).join(', ')}`,
    );
    assert.ok(a.startSpreadMs !== null && a.startSpreadMs <= 50, `start spread ${a.startSpreadMs} ms`);
    // The spread above is in coordinator time as each agent estimated it, so it leaves out the
    // estimates' errors. Here every agent shares the host's clock (true offset 0): an agent started
    // at its lag plus its estimated offset by that clock, and that is the spread that counts.
    const hostLags = a.agents.map((x) => x.startLagMs! + x.clock.offsetMs);
    const hostSpread = Math.max(...hostLags) - Math.min(...hostLags);
    t.diagnostic(
      `start spread by the host's clock ${hostSpread.toFixed(3)} ms (lags ${hostLags.map((l) => l.toFixed(3)).join(', ')} ms)`,
    );
    assert.ok(hostSpread <= 50, `start spread by the host's clock ${hostSpread.toFixed(3)} ms`);
    // Verified across agents: every acknowledged message was received by some agent's consumer.
    const v = r.verification!;
    t.diagnostic(`verify: ${v.acknowledged} acknowledged, ${v.lost} lost, ${v.duplicates} duplicates`);
    assert.equal(v.lost, 0);
    assert.equal(v.acknowledged, r.totals.sent);
    t.diagnostic(
      `send p50 ${r.latency.send!.p50} µs, p99 ${r.latency.send!.p99} µs; e2e p50 ${r.latency.e2e!.p50} µs, p99 ${r.latency.e2e!.p99} µs`,
    );
  });

  test('an agent killed mid-run is named within 5 s; the result is partial; exit 3', async (t) => {
    const run = rmqBackground(
      [
        'bench',
        '--agents',
        '3',
        '--pool',
        pool,
        '--producers',
        '3',
        '--consumers',
        '3',
        '--rate',
        '600',
        '--duration',
        '10s',
        '--drain',
        '5s',
        '--json',
      ],
      { timeoutMs: 120_000 },
    );
    const victim = agents[1]!;
    const before = victim.stderr().length;
    await waitFor(
      'a2 to be told the start',
      () => victim.stderr().slice(before).includes('start in'),
      60_000,
    );
    await sleep(4000);
    const killedAt = Date.now();
    victim.kill('SIGKILL');
    const res = await run.done;
    assert.equal(res.code, 3, res.stderr);
    const r = res.json as BenchResult;
    const a = r.agents!;
    assert.deepEqual(
      a.missing,
      ['a2'],
      `${a.agents.map((x) => `${x.id} ${x.status} at +${x.endedAtMs} ms: ${x.reason ?? ''}`).join('; ')}\n${res.stderr}`,
    );
    const row = a.agents.find((x) => x.id === 'a2')!;
    assert.equal(row.status, 'lost');
    const namedAt = Date.parse(r.startedAt) + row.endedAtMs!;
    const afterMs = namedAt - killedAt;
    t.diagnostic(
      `a2 killed at +${((killedAt - Date.parse(r.startedAt)) / 1000).toFixed(2)} s, named ${afterMs} ms later: ${row.reason}`,
    );
    assert.ok(afterMs <= 5000, `named ${afterMs} ms after the kill`);
    assert.ok(
      r.warnings.some((w) => w.startsWith('partial result') && w.includes('a2')),
      r.warnings.join('\n'),
    );
    assert.ok(r.totals.sent > 0, 'the other agents went on');
    t.diagnostic(
      `partial: ${r.totals.sent} sent by ${a.agents.filter((x) => x.status === 'done').length} agents`,
    );
  });

  test('a coordinator whose agents never join: exit 4 after --join-timeout, exit 130 on Ctrl-C while it waits', async (t) => {
    const empty = `${pool}_none`;
    const args = ['bench', '--agents', '2', '--pool', empty, '--producers', '2', '--duration', '5s'];
    try {
      const timedOut = await rmq([...args, '--join-timeout', '3s']);
      assert.equal(timedOut.code, 4, `${timedOut.stdout}${timedOut.stderr}`);
      // Progress lines come first on stderr; the error is one line, the last, without a stack.
      const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? '';
      assert.match(
        lastLine(timedOut.stderr),
        new RegExp(`^Error: only 0 of 2 agents joined pool ${empty} within 3s`),
      );
      assert.doesNotMatch(timedOut.stderr, /^\s+at /m);

      const waiting = rmqBackground([...args, '--join-timeout', '120s'], { timeoutMs: 150_000 });
      // Ctrl-C once it says it waits (a CLI that has not started yet dies of the signal: in CI the
      // bus the first run left was there at once, and a SIGINT 1 s later found no handler).
      await waitFor(
        'the coordinator to wait for agents',
        () => /waiting for 2 agents/.test(waiting.stderr()),
        60_000,
      );
      const interruptedAt = Date.now();
      waiting.kill('SIGINT');
      const r = await waiting.done;
      const tookMs = Date.now() - interruptedAt;
      t.diagnostic(`exit ${r.code} ${tookMs} ms after SIGINT: ${lastLine(r.stderr)}`);
      assert.equal(r.code, 130, `${r.stdout}${r.stderr}`);
      assert.match(
        lastLine(r.stderr),
        new RegExp(`^Error: interrupted while waiting for agents: 0 of 2 joined pool ${empty}`),
      );
      assert.doesNotMatch(r.stderr, /^\s+at /m);
      assert.ok(tookMs < 10_000, `${tookMs} ms`);
    } finally {
      const bus = `rmq_bench_pool_${empty}`;
      for (const x of [`${bus}_control`, `${bus}_results`]) await rmq(['topic', 'delete', x, '--yes']);
      for (const g of [`${bus}_agents`, `${bus}_coordinators`]) await rmq(['group', 'delete', g, '--yes']);
    }
  });

  test('agents whose coordinator dies stop by themselves within its 15 s timeout, and wait again', async (t) => {
    const alive = [agents[0]!, agents[2]!];
    const marks = alive.map((a) => a.stderr().length);
    const run = rmqBackground([...onTwoAgents, '--rate', '300', '--duration', '60s'], { timeoutMs: 120_000 });
    await waitFor(
      'the start',
      () => alive.every((a, i) => a.stderr().slice(marks[i]).includes('start in')),
      60_000,
    );
    await sleep(2000);
    const killedAt = Date.now();
    run.kill('SIGKILL');
    await run.done;
    await waitFor(
      'both agents to stop their run',
      () => alive.every((a, i) => /run \w+: stopped, \d+ sent/.test(a.stderr().slice(marks[i]))),
      30_000,
    );
    const stoppedAfter = Date.now() - killedAt;
    t.diagnostic(`coordinator killed; both agents stopped their run ${stoppedAfter} ms later`);
    assert.ok(
      stoppedAfter <= 15_000 + 5_000,
      `${stoppedAfter} ms; agents said: ${alive.map((a, i) => a.stderr().slice(marks[i]).trim().split('\n').slice(-5).join(' | ')).join(' || ')}`,
    );
    assert.ok(alive.every((a) => a.stderr().includes('no word from the coordinator')));
  });

  test('a coordinator the box did not run for 5 s (SIGSTOP) does not blame its agents for its own pause', async (t) => {
    // What the agents said meanwhile waits at the broker for the coordinator's next pull: judged
    // by the wall clock, both were "lost" (exit 3) for a silence that was the coordinator's own.
    const marks = agents.map((a) => a.stderr().length);
    const run = rmqBackground([...onTwoAgents, '--rate', '200', '--duration', '9s', '--json'], {
      timeoutMs: 120_000,
    });
    // Two of the agents (a2 is gone after the kill test, when the file runs whole).
    await waitFor(
      'the start',
      () => agents.filter((a, i) => a.stderr().slice(marks[i]).includes('start in')).length === 2,
      60_000,
    );
    // The start is at least 3 s after the go: pause from about +2 s to +7 s of the 9 s.
    await sleep(5000);
    run.kill('SIGSTOP');
    await sleep(5000);
    run.kill('SIGCONT');
    const res = await run.done;
    const r = res.json as BenchResult | undefined;
    t.diagnostic(`exit ${res.code}; warnings: ${r?.warnings.join(' | ') ?? res.stderr.slice(-500)}`);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(r!.agents!.missing, []);
    const stalled = r!.warnings
      .map((w) => /^the coordinator itself was not run for ([\d.]+)s at \+/.exec(w)?.[1])
      .find((x) => x !== undefined);
    assert.ok(stalled !== undefined && Number(stalled) >= 3, r!.warnings.join('\n'));
  });

  test('two coordinators at once: an agent both chose takes one run and tells the other at once that it is busy', async (t) => {
    // a1 and a3 wait (a2 was killed above), and each coordinator wants both. Started together,
    // both may choose them while idle: each agent takes the run it hears of first and answers the
    // other's at once that it is busy (exit 8), where the second coordinator used to wait out its
    // 60 s setup. One that starts later sees them busy and gives up after --join-timeout (exit 4).
    const started = Date.now();
    const runs = [0, 1].map(() =>
      rmqBackground(
        [...onTwoAgents, '--rate', '100', '--duration', '3s', '--join-timeout', '10s', '--json'],
        {
          timeoutMs: 90_000,
        },
      ),
    );
    const results = await Promise.all(runs.map((r) => r.done));
    const tookS = ((Date.now() - started) / 1000).toFixed(1);
    const messageOf = (r: (typeof results)[number]) =>
      (r.json as { error?: { message?: string } } | undefined)?.error?.message ??
      r.stderr.trim().split('\n').at(-1) ??
      '';
    t.diagnostic(
      `two coordinators: ${results.map((r) => `exit ${r.code}${r.code === 0 ? '' : ` (${messageOf(r)})`}`).join('; ')}; both done after ${tookS} s`,
    );
    for (const r of results) {
      if (r.code === 0) continue;
      if (r.code === 8) assert.match(messageOf(r), /a\d is busy with run \w+ of /, r.stderr);
      else {
        assert.equal(r.code, 4, `${r.stdout}${r.stderr}`);
        assert.match(messageOf(r), /busy in another run: a\d, a\d/);
      }
    }
    // Neither waited out a setup: well under its 60 s.
    assert.ok(Date.now() - started < 45_000, `took ${tookS} s`);
  });
});
