/**
 * Bench agents without a cluster: the bus codec against hostile bodies, the split of a run across
 * agents, the clock-offset estimator, verification tables as ranges, and the gathering of
 * intervals and results (the --workers merge path) from several sources.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  BUS_VERSION,
  type BusMessage,
  decodeAgentResult,
  decodeBusMessage,
  MAX_BUS_BYTES,
  MAX_BUS_DEPTH,
  MAX_TICK_BROKERS,
  resultParts,
  RESULT_PART_CHARS,
} from '../../src/bench/agents/codec.js';
import { assignShares } from '../../src/bench/agents/split.js';
import { AwakeClock } from '../../src/bench/agents/awake.js';
import { capacityPlan } from '../../src/bench/plan.js';
import { OffsetClock, OffsetEstimator, offsetSample } from '../../src/bench/clock-offset.js';
import { FakeClock, systemClock } from '../../src/bench/clock.js';
import { Gather } from '../../src/bench/gather.js';
import { encodeHistogram, newHistogram, recordUs } from '../../src/bench/histogram.js';
import type { BenchInterval, BenchParameters, BenchResult } from '../../src/bench/result.js';
import { decodeRanges, encodeRanges } from '../../src/bench/verify-ranges.js';
import { Verifier } from '../../src/bench/verify.js';
import { ProtocolError } from '../../src/core/errors.js';

function params(over: Partial<BenchParameters> = {}): BenchParameters {
  return {
    topic: 'bench_test',
    queues: 8,
    producers: 3,
    consumers: 3,
    groups: 1,
    groupNames: ['g0'],
    size: 100,
    keys: false,
    tags: [],
    mode: 'async',
    batch: 1,
    inflight: 4,
    precise: false,
    rate: 1500,
    durationMs: 1000,
    warmupMs: 0,
    intervalMs: 1000,
    type: 'normal',
    fifoGroups: 4,
    txRollbackRatio: 0,
    verify: true,
    drainMs: 1000,
    slo: [],
    ...over,
  };
}

const envelope = { v: BUS_VERSION as typeof BUS_VERSION, pool: 'p1', from: 'a1', seq: 3, at: 1.5e15 };
const buf = (x: unknown): Buffer => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x));

function interval(index: number, over: Partial<BenchInterval> = {}): BenchInterval {
  return {
    index,
    phase: 'measure',
    startMs: index * 1000,
    endMs: (index + 1) * 1000,
    sent: 10,
    sendErrors: 0,
    received: 10,
    sendTps: 10,
    receiveTps: 10,
    sendMBps: 0.001,
    receiveMBps: 0.001,
    backlog: 0,
    inflight: 0,
    queued: 0,
    errors: {},
    send: null,
    e2e: null,
    eventLoopP99Ms: 0,
    eventLoopMaxMs: 0,
    cpuPct: 1,
    ...over,
  };
}

describe('bus codec', () => {
  test('every kind reads back as sent, on its own topic only', () => {
    const control: BusMessage[] = [
      { ...envelope, kind: 'ping', ping: 4, t1: 12.5 },
      { ...envelope, kind: 'go', runId: 'abc123', startUs: 9e15, offsets: { a1: -12.5, 'host-7.x': 3 } },
      { ...envelope, kind: 'drained', runId: 'abc123' },
      { ...envelope, kind: 'abort', runId: 'abc123', reason: 'interrupted' },
      { ...envelope, kind: 'beat', runId: 'abc123' },
      {
        ...envelope,
        kind: 'run',
        runId: 'abc123',
        assignments: assignShares(params(), [
          { id: 'a1', offsetUs: 1 },
          { id: 'a2', offsetUs: -2 },
        ]),
        readQueues: 8,
        retries: 2,
        e2e: 'local',
        coordinatorTimeoutMs: 15_000,
      },
    ];
    for (const m of control) {
      assert.deepEqual(decodeBusMessage(buf(m), 'p1', 'control'), JSON.parse(JSON.stringify(m)));
      assert.throws(() => decodeBusMessage(buf(m), 'p1', 'results'), ProtocolError, `${m.kind} on results`);
    }
    const results: BusMessage[] = [
      { ...envelope, kind: 'hello', state: 'idle', host: 'h', pid: 7, cores: 2, version: '0.1.0' },
      { ...envelope, kind: 'pong', ping: 4, t1: 1, t2: 2, t3: 3 },
      { ...envelope, kind: 'ready', runId: 'abc123' },
      { ...envelope, kind: 'started', runId: 'abc123', plannedUs: 5, actualUs: 6 },
      { ...envelope, kind: 'phase', runId: 'abc123', phase: 'drain', progress: { acked: 4, received: [3] } },
      { ...envelope, kind: 'warning', runId: 'abc123', message: 'busy' },
      { ...envelope, kind: 'done', runId: 'abc123', part: 1, parts: 2, data: '{}' },
      { ...envelope, kind: 'error', runId: 'abc123', message: 'no route', errorKind: 'not-found' },
      {
        ...envelope,
        kind: 'tick',
        runId: 'abc123',
        tick: { interval: interval(2), histograms: { send: 'HISTFAAAA' }, startUs: 1, endUs: 2 },
      },
      {
        ...envelope,
        kind: 'tick',
        runId: 'abc123',
        tick: {
          interval: interval(3),
          histograms: {},
          startUs: 1,
          endUs: 2,
          counts: { sent: 10, sentBytes: 10_240, errors: 1, received: 9, receivedBytes: 9216 },
          brokers: [
            { name: 'broker-a', sent: 6, errors: 0, send: 'HISTFAAAA' },
            { name: 'broker-b', sent: 4, errors: 1 },
          ],
        },
      },
    ];
    for (const m of results) {
      assert.deepEqual(decodeBusMessage(buf(m), 'p1', 'results'), JSON.parse(JSON.stringify(m)));
      assert.throws(() => decodeBusMessage(buf(m), 'p1', 'control'), ProtocolError, `${m.kind} on control`);
    }
  });

  test('hostile bodies are ProtocolErrors, never anything else', () => {
    const deep = '['.repeat(MAX_BUS_DEPTH + 5) + ']'.repeat(MAX_BUS_DEPTH + 5);
    const bad: [string, unknown][] = [
      ['empty', ''],
      ['not JSON', 'hello'],
      ['too big', Buffer.alloc(MAX_BUS_BYTES + 1, 0x20)],
      ['too deep', deep],
      ['a list', [1, 2]],
      ['another version', { ...envelope, v: 2, kind: 'beat', runId: 'abc123' }],
      ['another pool', { ...envelope, pool: 'p2', kind: 'beat', runId: 'abc123' }],
      ['unknown kind', { ...envelope, kind: 'reboot' }],
      ['a number as text', { ...envelope, kind: 'ping', ping: '4', t1: 1 }],
      [
        'a number past a double',
        JSON.stringify({ ...envelope, kind: 'go', runId: 'abc123', startUs: 7, offsets: {} }).replace(
          '7',
          '1e400',
        ),
      ],
      ['a malformed run id', { ...envelope, kind: 'beat', runId: '../../etc' }],
      ['negative seq', { ...envelope, seq: -1, kind: 'beat', runId: 'abc123' }],
      [
        'an offset for a bad id',
        { ...envelope, kind: 'go', runId: 'abc123', startUs: 1, offsets: { 'a b': 1 } },
      ],
      [
        '__proto__ as an agent',
        JSON.stringify({ ...envelope, kind: 'go', runId: 'abc123', startUs: 1 }).replace(
          '}',
          ',"offsets":{"__proto__":{"x":1}}}',
        ),
      ],
      ['a part past the parts', { ...envelope, kind: 'done', runId: 'abc123', part: 2, parts: 2, data: '' }],
      ['too many parts', { ...envelope, kind: 'done', runId: 'abc123', part: 0, parts: 1000, data: '' }],
      [
        'a part too long',
        {
          ...envelope,
          kind: 'done',
          runId: 'abc123',
          part: 0,
          parts: 1,
          data: 'x'.repeat(RESULT_PART_CHARS + 1),
        },
      ],
      [
        'a tick with text counts',
        {
          ...envelope,
          kind: 'tick',
          runId: 'abc123',
          tick: {
            interval: interval(1, { sent: '9' as unknown as number }),
            histograms: {},
            startUs: 1,
            endUs: 2,
          },
        },
      ],
      [
        'a tick with an unknown histogram',
        {
          ...envelope,
          kind: 'tick',
          runId: 'abc123',
          tick: { interval: interval(1), histograms: { constructor: 'AA' }, startUs: 1, endUs: 2 },
        },
      ],
      ...(
        [
          ['a broker row with text sends', { name: 'broker-a', sent: '6', errors: 0 }],
          ['a broker name with a newline', { name: 'broker-a\n# HELP', sent: 6, errors: 0 }],
          ['a broker name of 256 characters', { name: 'b'.repeat(256), sent: 6, errors: 0 }],
          ['a broker histogram that is not base64', { name: 'broker-a', sent: 6, errors: 0, send: '{}' }],
          ['negative broker errors', { name: 'broker-a', sent: 6, errors: -1 }],
        ] as const
      ).map(([what, row]): [string, unknown] => [
        what,
        {
          ...envelope,
          kind: 'tick',
          runId: 'abc123',
          tick: { interval: interval(1), histograms: {}, startUs: 1, endUs: 2, brokers: [row] },
        },
      ]),
      [
        'more broker rows than a tick may have',
        {
          ...envelope,
          kind: 'tick',
          runId: 'abc123',
          tick: {
            interval: interval(1),
            histograms: {},
            startUs: 1,
            endUs: 2,
            brokers: Array.from({ length: MAX_TICK_BROKERS + 1 }, (_, i) => ({
              name: `b${i}`,
              sent: 1,
              errors: 0,
            })),
          },
        },
      ],
      [
        'tick counts with a negative byte count',
        {
          ...envelope,
          kind: 'tick',
          runId: 'abc123',
          tick: {
            interval: interval(1),
            histograms: {},
            startUs: 1,
            endUs: 2,
            counts: { sent: 1, sentBytes: -5, errors: 0, received: 0, receivedBytes: 0 },
          },
        },
      ],
      [
        'progress without counts',
        { ...envelope, kind: 'progress', runId: 'abc123', progress: { acked: 1, received: ['x'] } },
      ],
      [
        'a run with bad parameters',
        {
          ...envelope,
          kind: 'run',
          runId: 'abc123',
          assignments: [
            {
              agent: 'a1',
              params: { ...params(), producers: -1 },
              producerBase: 0,
              consumerBase: 0,
              offsetUs: 0,
            },
          ],
          readQueues: 8,
          retries: 2,
          e2e: 'all',
          coordinatorTimeoutMs: 1000,
        },
      ],
      [
        'a run with a hostile topic',
        {
          ...envelope,
          kind: 'run',
          runId: 'abc123',
          assignments: [
            {
              agent: 'a1',
              params: { ...params(), topic: 'a b;c' },
              producerBase: 0,
              consumerBase: 0,
              offsetUs: 0,
            },
          ],
          readQueues: 8,
          retries: 2,
          e2e: 'all',
          coordinatorTimeoutMs: 1000,
        },
      ],
    ];
    for (const [what, body] of bad) {
      const raw = Buffer.isBuffer(body) ? body : buf(body);
      for (const topic of ['control', 'results'] as const) {
        assert.throws(() => decodeBusMessage(raw, 'p1', topic), ProtocolError, what);
      }
    }
    // Random bytes and random JSON: a ProtocolError or a message, never a crash of another kind.
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
          fc.json().map((j) => buf(j)),
        ),
        (raw) => {
          try {
            decodeBusMessage(raw, 'p1', 'results');
          } catch (err) {
            if (!(err instanceof ProtocolError)) throw err;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('a result travels in parts and is checked before it is merged', () => {
    const json = JSON.stringify({ result: { schemaVersion: 1 }, pad: 'x'.repeat(RESULT_PART_CHARS * 2) });
    const parts = resultParts(json);
    assert.equal(parts.length, 3);
    assert.equal(parts.join(''), json);
    const astral = 'x'.repeat(RESULT_PART_CHARS - 1) + '😀' + 'y';
    const split = resultParts(astral);
    assert.equal(split.map((x) => Buffer.from(x).toString()).join(''), astral, 'no pair cut in two');
    assert.throws(() => decodeAgentResult(json), ProtocolError, 'a result without its fields');
    assert.throws(() => decodeAgentResult('{"result":'), ProtocolError);
    const r = result(0, [1000]);
    assert.equal(decodeAgentResult(JSON.stringify({ result: r })).result.totals.sent, r.totals.sent);
    const bad = { ...r, totals: { ...r.totals, sent: 'many' } };
    assert.throws(() => decodeAgentResult(JSON.stringify({ result: bad })), ProtocolError);
  });
});

describe('split across agents', () => {
  test('producers, consumers and rate add up, numbered apart; every agent has a producer', () => {
    const p = params({ producers: 7, consumers: 5, rate: 1400 });
    const a = assignShares(
      p,
      ['a', 'b', 'c'].map((id, i) => ({ id, offsetUs: i })),
    );
    assert.deepEqual(
      a.map((x) => [
        x.agent,
        x.params.producers,
        x.params.consumers,
        x.params.rate,
        x.producerBase,
        x.consumerBase,
      ]),
      [
        ['a', 3, 2, 600, 0, 0],
        ['b', 2, 2, 400, 3, 2],
        ['c', 2, 1, 400, 5, 4],
      ],
    );
    assert.equal(
      a.reduce((n, x) => n + x.params.rate!, 0),
      1400,
    );
    const m = assignShares(params({ producers: 3, rate: undefined, durationMs: undefined, messages: 1000 }), [
      { id: 'a', offsetUs: 0 },
      { id: 'b', offsetUs: 0 },
    ]);
    assert.equal(m[0]!.params.messages! + m[1]!.params.messages!, 1000);
    assert.throws(() =>
      assignShares(
        params({ producers: 2 }),
        ['a', 'b', 'c'].map((id) => ({ id, offsetUs: 0 })),
      ),
    );
  });
});

describe('clock offset over the bus', () => {
  test('the least-delayed round trip sets the offset; the truth is within ± its delay / 2', () => {
    // Agent clock = coordinator clock + 12 ms; one-way delays 1..40 ms, often lopsided.
    const trueOffset = 12_000;
    const est = new OffsetEstimator();
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let t = 1e15;
    for (let i = 0; i < 40; i++) {
      const out = 1000 + rnd() * 39_000;
      const back = 1000 + rnd() * 39_000;
      const t1 = t;
      const t2 = t1 + out + trueOffset;
      const t3 = t2 + 300;
      const t4 = t3 - trueOffset + back;
      est.add(offsetSample(t1, t2, t3, t4));
      t += 100_000;
    }
    const e = est.estimate()!;
    assert.ok(Math.abs(e.offsetUs - trueOffset) <= e.uncertaintyUs, JSON.stringify(e));
    assert.ok(e.uncertaintyUs < 10_000, 'the best of 40 samples is better than a typical one');
    assert.equal(e.samples, 40);
    // Stamps that are no round trip are no sample.
    assert.equal(offsetSample(10, 5, 4, 20), undefined);
    assert.equal(offsetSample(10, 5, 6, 9), undefined);
    assert.equal(offsetSample(Number.NaN, 1, 2, 3), undefined);
    assert.equal(new OffsetEstimator().estimate(), undefined);
  });

  test('an OffsetClock reads and schedules in coordinator time', async () => {
    const base = new FakeClock();
    const c = new OffsetClock(5_000, base);
    assert.equal(c.nowUs(), base.nowUs() - 5_000);
    const fired: number[] = [];
    const pacer = c.pacer(() => fired.push(c.nowUs()), false);
    pacer.arm(c.nowUs() + 10_000);
    await base.advance(20);
    assert.equal(fired.length, 1);
    assert.ok(Math.abs(fired[0]! - (base.nowUs() - 5_000 - 10_000)) <= 1_000);
  });

  test("a start's last ms are a kernel sleep: the thread runs nothing else, and not less than asked", () => {
    let ran = false;
    setImmediate(() => (ran = true));
    const c = new OffsetClock(5_000);
    const from = performance.now();
    c.sleepSync(15);
    const slept = performance.now() - from;
    assert.ok(slept >= 14.9, `slept ${slept} ms of 15`);
    assert.equal(ran, false, 'nothing of the event loop ran meanwhile');
    systemClock.sleepSync(-1);
    const fake = new FakeClock();
    const t = fake.nowUs();
    fake.sleepSync(20);
    assert.equal(fake.nowUs(), t + 20_000);
  });
});

describe("silence is judged in the watcher's awake time", () => {
  test('a gap between readings beyond maxGap is the watcher stalled, counted as maxGap', () => {
    const fake = new FakeClock();
    const awake = new AwakeClock(fake, 1000);
    const heard = awake.nowUs();
    // Read every 250 ms for 3 s: all of it counts.
    for (let i = 0; i < 12; i++) {
      fake.sleepSync(250);
      awake.nowUs();
    }
    assert.equal(awake.nowUs() - heard, 3_000_000);
    assert.equal(awake.stalledMs, 0);
    // Then the watcher is not run for 5 s: 1 s of it counts, 4 s are its own stall.
    fake.sleepSync(5000);
    assert.equal(awake.nowUs() - heard, 4_000_000);
    assert.equal(awake.stalledMs, 4000);
    // A clock that steps back counts nothing.
    assert.equal(new AwakeClock({ nowUs: () => 0 }, 1000).nowUs(), 0);
  });

  test('with real timers: after the event loop was blocked, the first timer to run sees at most maxGap', async () => {
    // The thread is held as a process the box does not run would be: no timer, no socket read.
    const awake = new AwakeClock(systemClock, 1000);
    const heard = awake.nowUs();
    const seen: number[] = [];
    const watchdog = setInterval(() => seen.push(awake.nowUs() - heard), 250);
    try {
      await new Promise((r) => setTimeout(r, 300));
      systemClock.sleepSync(2500);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      clearInterval(watchdog);
    }
    const silence = Math.max(...seen) / 1000;
    // ~0.6 s of running plus at most 1 s of the 2.5 s block; the wall clock says over 3 s.
    assert.ok(silence < 2000, `silence ${silence} ms`);
    assert.ok(awake.stalledMs >= 1400, `stalled ${awake.stalledMs} ms`);
  });
});

describe('verification across agents', () => {
  test('tables as ranges merge to the same accounting as one verifier', () => {
    // Three agents, producers 0..2 one each; each agent's consumer receives some of everyone's.
    const groups = ['g0'];
    const agents = [0, 1, 2].map(() => new Verifier(groups));
    const whole = new Verifier(groups);
    for (let p = 0; p < 3; p++) {
      for (let seq = 0; seq < 5000; seq++) {
        if (p === 1 && seq === 777) {
          agents[p]!.failed(p, seq);
          whole.failed(p, seq);
          continue;
        }
        agents[p]!.acknowledged(p, seq);
        whole.acknowledged(p, seq);
        if (p === 2 && seq >= 4000 && seq < 4010) continue; // lost
        const receiver = agents[(p + seq) % 3]!;
        receiver.received(0, p, seq);
        whole.received(0, p, seq);
        if (seq % 1000 === 0) {
          receiver.received(0, p, seq);
          whole.received(0, p, seq);
        }
      }
    }
    const wire = agents.map((v) => JSON.parse(JSON.stringify(encodeRanges(v.exportState()))));
    const numbers = wire.reduce(
      (n, r) => n + Object.values(r.send as Record<string, number[]>).flat().length,
      0,
    );
    assert.ok(numbers <= 12, `send tables are a few runs, not 15,000 ids (${numbers} numbers)`);
    const merged = Verifier.merge(wire.map((r) => decodeRanges(r))).summary(0);
    const expected = whole.summary(0);
    assert.equal(merged.lost, 10);
    assert.equal(merged.acknowledged, expected.acknowledged);
    assert.equal(merged.duplicates, expected.duplicates);
    assert.deepEqual(merged.lostSample, expected.lostSample);
  });

  test('hostile ranges are ProtocolErrors within budget', () => {
    const ok = {
      groupNames: ['g'],
      fifoGroups: 0,
      rolledBack: 0,
      send: { 0: [1, 3] },
      received: [{ 0: [1, 3] }],
    };
    assert.equal(decodeRanges(ok).send[0]!.length, 3);
    const bad: unknown[] = [
      null,
      { ...ok, groupNames: [] },
      { ...ok, send: { 0: [1] } },
      { ...ok, send: { x: [1, 1] } },
      { ...ok, send: { 0: [256, 1] } },
      { ...ok, send: { 0: [1, 2 ** 40] } },
      { ...ok, send: { 99999999: [1, 1] } },
      { ...ok, received: [] },
      { ...ok, send: { 0: [1, 2 ** 29, 1, 2 ** 29] } },
    ];
    for (const b of bad) assert.throws(() => decodeRanges(b), ProtocolError, JSON.stringify(b)?.slice(0, 80));
    assert.throws(
      () =>
        decodeRanges(
          { ...ok, send: { 0: [1, 1000] } },
          { maxProducers: 10, maxSeq: 1 << 20, maxRunNumbers: 100, maxTotal: 999 },
        ),
      ProtocolError,
      'past the total budget',
    );
  });
});

/** A source's result: `sent` acknowledged messages with these send latencies (µs). */
function result(i: number, latencies: number[]): BenchResult {
  const h = newHistogram();
  for (const v of latencies) recordUs(h, v);
  const n = latencies.length;
  return {
    schemaVersion: 1,
    tool: { name: 'rmq', version: '0.0.0' },
    runId: `src${i}`,
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:00:02.000Z',
    interrupted: false,
    parameters: params({ producers: 1, consumers: 1, rate: 500 }),
    phases: { warmupMs: 0, measureMs: 1000, drainMs: 10 },
    totals: {
      sent: n,
      sendErrors: 0,
      received: n,
      measuredSent: n,
      measuredReceived: n,
      bytesSent: n * 100,
      bytesReceived: n * 100,
      unsent: 0,
      foreign: 0,
      saturated: 0,
      early: 0,
      skewed: 0,
      skewedMaxUs: 0,
    },
    throughput: {
      send: { tps: n, mbps: 0, perInterval: null },
      receive: { tps: n, mbps: 0, perInterval: null },
    },
    latency: {},
    histograms: { send: encodeHistogram(h) },
    errors: [],
    eventLoop: { p50Ms: 0, p99Ms: 0, maxMs: 0 },
    cpu: { userMs: 1, systemMs: 1, usPerMessage: null },
    intervals: [interval(0, { sent: n })],
    warnings: [],
  };
}

describe('gathering agents (the --workers merge path)', () => {
  test('per-interval quantiles are those of the union; counts add up; a lost source stops holding intervals back', () => {
    const ticks: { index: number; sent: number; p99: number | undefined; count: number }[] = [];
    let drained = 0;
    const g = new Gather(params({ producers: 3, consumers: 0 }), 3, {
      onTick: (e) =>
        ticks.push({
          index: e.interval.index,
          sent: e.interval.sent,
          p99: e.interval.send?.p99,
          count: e.histograms.send.totalCount,
        }),
      drained: () => drained++,
    });
    const lat = [Array.from({ length: 98 }, () => 1000), [50_000], [90_000]];
    const tickOf = (i: number, index: number) => {
      const h = newHistogram();
      for (const v of lat[i]!) recordUs(h, v);
      return {
        interval: interval(index, { sent: lat[i]!.length }),
        histograms: { send: encodeHistogram(h) },
        startUs: 0,
        endUs: 1,
      };
    };
    g.tick(0, tickOf(0, 0));
    g.tick(1, tickOf(1, 0));
    assert.equal(ticks.length, 0, 'held until every source has sent the interval');
    g.tick(2, tickOf(2, 0));
    assert.deepEqual(ticks[0], { index: 0, sent: 100, p99: 50_015, count: 100 });
    // Interval 1 comes from two sources; the third is lost: it goes out without it.
    g.tick(0, tickOf(0, 1));
    g.tick(1, tickOf(1, 1));
    g.lost(2);
    assert.equal(ticks.length, 2);
    assert.equal(ticks[1]!.sent, 99);
    g.setPhase(0, 'drain', { acked: 1, received: [1] });
    g.setPhase(1, 'drain', { acked: 1, received: [1] });
    assert.equal(drained, 1, 'drained once the sources left are all in the drain');
    g.done(0, result(0, lat[0]!), undefined);
    g.done(1, result(1, lat[1]!), undefined);
    assert.ok(g.allFinished);
    assert.deepEqual(g.reported(), [0, 1]);
    const { result: merged, histograms } = g.finish('run1', process.cpuUsage());
    assert.equal(merged.totals.sent, 99);
    assert.equal(histograms.send.totalCount, 99);
    assert.equal(merged.intervals.length, 2);
    g.close();
  });
});

describe('how many agents a target rate needs', () => {
  test("from the slowest agent's CPU per message, one agent per core at 70 %", () => {
    const r = result(
      0,
      Array.from({ length: 100 }, () => 1000),
    );
    r.latency = {
      send: {
        count: 100,
        min: 1000,
        mean: 1000,
        stdev: 0,
        p50: 1000,
        p90: 1000,
        p99: 1000,
        p999: 1000,
        p9999: 1000,
        max: 1000,
      },
    };
    r.throughput.send.tps = 1000;
    const row = (id: string, us: number | null) => ({
      id,
      host: 'h',
      pid: 1,
      cores: 2,
      version: '0',
      producers: 1,
      consumers: 1,
      rate: 500,
      clock: { offsetMs: 0, uncertaintyMs: 1, samples: 5 },
      startLagMs: 0,
      status: 'done' as const,
      totals: null,
      histogramCounts: null,
      cpuUsPerMessage: us,
    });
    r.agents = {
      pool: 'p',
      requested: 2,
      e2e: 'all',
      bus: { control: 'c', results: 'r' },
      startSpreadMs: 1,
      missing: [],
      agents: [row('a', 20), row('b', 35), row('c', null)],
    };
    const step = capacityPlan(r, 100_000)!.steps.find((s) => s.what.startsWith('bench agents'))!;
    // 100,000 msg/s sent and received once each: 200,000 messages/s; a core at 70 % handles 10⁶ / 35 × 0.7 = 20,000.
    assert.equal(step.value, 10);
    assert.equal(
      step.formula,
      '⌈100,000 msg/s × 2 (send + 1 receive) / (10⁶ / 35 µs per message × 0.7)⌉ = 10',
    );
  });
});
