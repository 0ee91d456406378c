/**
 * The workload options of `rmq bench`: the parsers (--rate-profile, --size, --keys/--key-dist,
 * --backlog), the samplers (Zipf checked statistically with a fixed seed, size pools), the
 * --payload-dir reader against hostile directories, and the engine in virtual time: a rate
 * profile's schedule and per-step counts, a backlog built with consumers held then drained,
 * slow consumers' lag.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FakeClock } from '../../src/bench/clock.js';
import { BenchEngine } from '../../src/bench/engine.js';
import { decodeHeader } from '../../src/bench/header.js';
import type {
  BenchPorts,
  ConsumerPort,
  OutMessage,
  ProducerPort,
  ReceivedMessage,
} from '../../src/bench/ports.js';
import { parseRateProfile, ProfileSchedule, RateProfileError } from '../../src/bench/profile.js';
import type { BenchParameters } from '../../src/bench/result.js';
import {
  BODY_POOL,
  bodyPool,
  KeyPicker,
  parseBacklog,
  parseKeyDist,
  parseSizeSpec,
  rng,
  ZipfSampler,
} from '../../src/bench/workload.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { loadPayloadDir } from '../../src/services/bench/payload-dir.js';
import { mergeWorkload } from '../../src/bench/workload-report.js';
import { renderBenchReport } from '../../src/ui/bench-report.js';
import { planBench } from '../../src/services/bench/plan.js';
import type { BenchInput } from '../../src/services/bench/model.js';

describe('--rate-profile grammar', () => {
  test('holds, ramps and steps', () => {
    assert.deepEqual(parseRateProfile('1000@30s, ramp 1000..5000@1m ,5k@500ms'), [
      { from: 1000, to: 1000, ms: 30_000 },
      { from: 1000, to: 5000, ms: 60_000 },
      { from: 5000, to: 5000, ms: 500 },
    ]);
    assert.deepEqual(
      parseRateProfile('steps 1000..3000 +1000 every 20s').map((s) => `${s.from}-${s.to}@${s.ms}`),
      ['1000-1000@20000', '2000-2000@20000', '3000-3000@20000'],
    );
    assert.deepEqual(
      parseRateProfile('STEPS 3k..1k +1k every 1s').map((s) => s.from),
      [3000, 2000, 1000],
    );
  });

  for (const [spec, what] of [
    ['', 'an empty segment'],
    ['1000@30s,', 'an empty segment'],
    ['1000', 'expected "RATE@DURATION"'],
    ['abc@1s', 'expected "RATE@DURATION"'],
    ['1000@0s', 'above 0'],
    ['1000@soon', 'not a duration'],
    ['ramp 1000@5s', 'expected "ramp FROM..TO@DURATION"'],
    ['steps 1000..5000 every 20s', 'expected "steps'],
    ['steps 1000..4500 +1000 every 20s', 'not a whole number'],
    ['steps 1000..2000 +0 every 1s', 'the step must be above 0'],
    ['0@10s', 'every rate is 0'],
    ['99999999@1s', 'above'],
    ['steps 1..5000 +1 every 1s', 'more than 1000'],
  ] as const) {
    test(`refuses ${JSON.stringify(spec)}: ${what}`, () => {
      assert.throws(
        () => parseRateProfile(spec),
        (err: unknown) =>
          err instanceof RateProfileError &&
          err instanceof InvalidArgumentError &&
          err.message.includes(what) &&
          !err.message.includes('\n'),
      );
    });
  }
});

describe('the profile schedule', () => {
  test('messages due by t are the integral of the rate; dueUs inverts it', () => {
    const segs = parseRateProfile('1000@1s,ramp 1000..3000@1s,0@500ms,3000@1s');
    const s = new ProfileSchedule(segs, 0);
    assert.equal(s.totalMessages, 1000 + 2000 + 0 + 3000);
    for (const n of [0, 1, 999, 1000, 1500, 2999, 3000, 3001, 5999]) {
      const t = s.dueUs(n);
      // dueBy(dueUs(n)) = n: the count at a message's own due time is its index.
      assert.ok(Math.abs(s.dueBy(t) - n) < 1e-6, `n=${n}: t=${t}, dueBy=${s.dueBy(t)}`);
    }
    // Half way up the ramp (t = 1.5 s): 1000 + 1000·0.5 + 2000·0.5²/2 = 1750 due.
    assert.ok(Math.abs(s.dueUs(1750) - 1_500_000) < 1e-3);
    // The pause: nothing is due in (2 s, 2.5 s); message 3000 is due when it ends.
    assert.ok(s.dueUs(2999) < 2_000_000 && Math.abs(s.dueUs(3000) - 2_500_000) < 1);
    // Increasing, and the same answer whether asked in order or not.
    let prev = -1;
    for (let n = 0; n < 6000; n += 7) {
      const t = s.dueUs(n);
      assert.ok(t > prev);
      prev = t;
    }
    assert.equal(new ProfileSchedule(segs, 0).dueUs(1234), s.dueUs(1234));
  });

  test('a share of the producers runs the profile scaled', () => {
    const s = new ProfileSchedule(parseRateProfile('1000@1s,ramp 1000..2000@1s'), 5, 0.25);
    assert.equal(s.totalMessages, 250 + 375);
    assert.equal(s.dueUs(250), 5 + 1_000_000);
  });
});

describe('Zipf sampler', () => {
  /** Frequencies of ranks 1..5 over `draws` samples with a fixed seed, against k^-s / H(n, s). */
  function check(n: number, s: number, draws: number): void {
    const z = new ZipfSampler(n, s);
    const random = rng(12345);
    const counts = new Uint32Array(n);
    for (let i = 0; i < draws; i++) counts[z.rank(random())]!++;
    let h = 0;
    for (let k = 1; k <= n; k++) h += k ** -s;
    for (let k = 1; k <= 5; k++) {
      const expected = k ** -s / h;
      const observed = counts[k - 1]! / draws;
      // 4 standard errors of a binomial proportion: fails on a wrong law, not on noise.
      const se = Math.sqrt((expected * (1 - expected)) / draws);
      assert.ok(
        Math.abs(observed - expected) < 4 * se,
        `n=${n} s=${s} rank ${k}: ${observed.toFixed(5)} vs ${expected.toFixed(5)} (se ${se.toFixed(5)})`,
      );
      assert.ok(Math.abs(z.p(k - 1) - expected) < 1e-12);
    }
    // Ranks decrease in frequency, and every draw is a valid rank.
    assert.ok(counts[0]! > counts[1]! && counts[1]! > counts[4]!);
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      draws,
    );
    // A chi-square over the top 20 ranks and the rest (21 cells, 20 degrees of freedom): the
    // 99.9 % point is 45.3.
    let chi = 0;
    let restObs = draws;
    let restExp = 1;
    for (let k = 1; k <= 20; k++) {
      const e = (k ** -s / h) * draws;
      chi += (counts[k - 1]! - e) ** 2 / e;
      restObs -= counts[k - 1]!;
      restExp -= k ** -s / h;
    }
    chi += (restObs - restExp * draws) ** 2 / (restExp * draws);
    assert.ok(chi < 45.3, `chi-square ${chi.toFixed(1)} over 20 degrees of freedom`);
  }

  test('s = 1.1 over 1000 keys', () => check(1000, 1.1, 200_000));
  test('s = 0.8 over 100 keys', () => check(100, 0.8, 200_000));
  test('s = 2 over 50,000 keys', () => check(50_000, 2, 200_000));

  test('roundrobin cycles; uniform stays in range and spreads', () => {
    const rr = new KeyPicker(3, { kind: 'roundrobin' }, 1);
    assert.deepEqual(
      Array.from({ length: 7 }, () => rr.pick()),
      [0, 1, 2, 0, 1, 2, 0],
    );
    const u = new KeyPicker(10, { kind: 'uniform' }, 1);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[u.pick()]!++;
    for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, String(counts));
  });

  test('--key-dist parsing', () => {
    assert.deepEqual(parseKeyDist('zipf:1.1'), { kind: 'zipf', exponent: 1.1 });
    assert.deepEqual(parseKeyDist('zipf'), { kind: 'zipf', exponent: 1 });
    assert.deepEqual(parseKeyDist('RoundRobin'), { kind: 'roundrobin' });
    for (const bad of ['zipf:0', 'zipf:-1', 'zipf:11', 'normal', 'zipf:x']) {
      assert.throws(() => parseKeyDist(bad), InvalidArgumentError, bad);
    }
  });
});

describe('--size distributions', () => {
  test('one size, a range, weighted sizes', () => {
    assert.deepEqual(parseSizeSpec('4k'), { kind: 'fixed', size: 4096 });
    assert.deepEqual(parseSizeSpec('1k..16k'), { kind: 'range', min: 1024, max: 16384 });
    assert.deepEqual(parseSizeSpec('1k:70, 4k:20,64k:10'), {
      kind: 'weighted',
      choices: [
        { size: 1024, weight: 70 },
        { size: 4096, weight: 20 },
        { size: 65536, weight: 10 },
      ],
    });
    for (const bad of ['', '0', '16k..1k', '1k..', '1k..2k..3k', '5MiB', '1k:x', '1k:0', 'abc', '1k:70,']) {
      assert.throws(() => parseSizeSpec(bad), InvalidArgumentError, bad);
    }
  });

  test('a weighted pool holds the weights exactly; a range pool stays in range', () => {
    const base = Buffer.alloc(65536, 'x');
    const pool = bodyPool(parseSizeSpec('1k:70,4k:20,64k:10'), base, 3);
    assert.equal(pool.length, BODY_POOL);
    const by = new Map<number, number>();
    for (const b of pool) by.set(b.length, (by.get(b.length) ?? 0) + 1);
    assert.equal(by.get(1024), Math.round(0.7 * BODY_POOL));
    assert.equal(by.get(4096), Math.round(0.2 * BODY_POOL));
    assert.equal(by.get(65536), BODY_POOL - Math.round(0.7 * BODY_POOL) - Math.round(0.2 * BODY_POOL));
    // Shuffled: the first hundred are not all one size.
    assert.ok(new Set(pool.slice(0, 100).map((b) => b.length)).size > 1);
    const range = bodyPool(parseSizeSpec('100..200'), base, 3);
    assert.ok(range.every((b) => b.length >= 100 && b.length <= 200));
    const mean = range.reduce((a, b) => a + b.length, 0) / range.length;
    assert.ok(Math.abs(mean - 150) < 3, String(mean));
    // Views, not copies.
    assert.equal(range[0]!.buffer, base.buffer);
  });

  test('--backlog: sizes with a unit are bytes, bare counts are messages', () => {
    assert.deepEqual(parseBacklog('2GiB'), { bytes: 2 * 1024 ** 3 });
    assert.deepEqual(parseBacklog('1000000B'), { bytes: 1_000_000 });
    assert.deepEqual(parseBacklog('1000000'), { messages: 1_000_000 });
    assert.deepEqual(parseBacklog('50000 msgs'), { messages: 50_000 });
    for (const bad of ['', '0', 'lots', '-5', '2 GiBs'])
      assert.throws(() => parseBacklog(bad), InvalidArgumentError, bad);
  });
});

describe('--payload-dir', () => {
  const root = mkdtempSync(join(tmpdir(), 'rmq-payload-dir-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const dir = (files: Record<string, string>): string => {
    const d = join(root, `d${n++}`);
    mkdirSync(d);
    for (const [name, body] of Object.entries(files)) writeFileSync(join(d, name), body);
    return d;
  };
  const refuses = (d: string, what: string) =>
    assert.throws(
      () => loadPayloadDir(d),
      (err: unknown) =>
        err instanceof InvalidArgumentError && err.message.includes(what) && !err.message.includes('\n'),
    );

  test('regular files in name order; dot files and subdirectories skipped; links inside followed', () => {
    const d = dir({ 'b.json': 'bb', 'a.json': 'a', '.hidden': 'zzz' });
    mkdirSync(join(d, 'sub'));
    symlinkSync(join(d, 'a.json'), join(d, 'c-link'));
    const p = loadPayloadDir(d);
    assert.deepEqual(
      p.bodies.map((b) => b.toString()),
      ['a', 'bb', 'a'],
    );
    assert.equal(p.skipped, 2);
    assert.equal(p.bytes, 4);
    assert.equal(p.minSize, 1);
    assert.equal(p.maxSize, 2);
  });

  test('refuses links out of the directory, dangling links, FIFOs, empty files, nothing to send', () => {
    const outside = dir({ secret: 'x' });
    const d1 = dir({ a: 'a' });
    symlinkSync(join(outside, 'secret'), join(d1, 'leak'));
    refuses(d1, 'links out of the directory');
    const d2 = dir({ a: 'a' });
    symlinkSync('/etc/passwd', join(d2, 'passwd'));
    refuses(d2, 'links out of the directory');
    const d3 = dir({ a: 'a' });
    symlinkSync(join(d3, 'nowhere'), join(d3, 'dangling'));
    refuses(d3, 'a link to nothing');
    const d4 = dir({ a: 'a' });
    execFileSync('mkfifo', [join(d4, 'pipe')]);
    refuses(d4, 'not a regular file');
    refuses(dir({ a: 'a', e: '' }), 'is empty');
    refuses(dir({ '.only-hidden': 'x' }), 'holds no regular files');
    refuses(join(root, 'missing'), 'cannot read --payload-dir');
    const d5 = dir({});
    writeFileSync(join(d5, 'big'), Buffer.alloc(4 * 1024 * 1024 + 1));
    refuses(d5, 'body limit');
  });

  test('a name with control characters is shown escaped', () => {
    const d = dir({ 'x\u001b[31m': '' });
    refuses(d, '"x\\u001b[31m" is empty');
  });
});

// ---- the engine in virtual time ----

interface Sent {
  sendUs: number;
  bytes: number;
  keys: string[] | undefined;
  hashKey: string | undefined;
}

/** Acknowledges after `ackMs`, delivers to one consumer per group `deliverMs` later. */
class World implements BenchPorts {
  readonly sent: Sent[] = [];
  private readonly subs: { group: number; onMessage: (m: ReceivedMessage) => void | Promise<void> }[] = [];
  private rr = 0;

  constructor(
    private readonly clock: FakeClock,
    private readonly ackMs: (sendUs: number) => number = () => 1,
    private readonly deliverMs = 2,
  ) {}

  producer(): ProducerPort {
    const send = (m: OutMessage) => {
      const h = decodeHeader(m.header)!;
      this.sent.push({ sendUs: h.sendUs, bytes: m.body.length, keys: m.keys, hashKey: m.hashKey });
      return new Promise<unknown>((resolve) => {
        this.clock.setTimeout(() => {
          const groups = new Set(this.subs.map((s) => s.group));
          for (const g of groups) {
            const members = this.subs.filter((s) => s.group === g);
            const target = members[this.rr++ % members.length]!;
            this.clock.setTimeout(
              () => void target.onMessage({ header: m.header, bytes: m.body.length }),
              this.deliverMs,
            );
          }
          resolve(undefined);
        }, this.ackMs(this.clock.nowUs()));
      });
    };
    return {
      open: async () => {},
      send,
      sendOneway: send,
      sendBatch: (msgs) => Promise.all(msgs.map(send)),
      sendTransaction: (m) => send(m),
      close: async () => {},
    };
  }

  consumer(_index: number, group: number): ConsumerPort {
    return {
      start: async (onMessage) => {
        this.subs.push({ group, onMessage });
      },
      stop: async () => {},
    };
  }
}

function params(over: Partial<BenchParameters> = {}): BenchParameters {
  return {
    topic: 't',
    queues: 8,
    producers: 1,
    consumers: 1,
    groups: 1,
    groupNames: ['g0'],
    size: 100,
    keys: false,
    tags: [],
    mode: 'async',
    batch: 1,
    inflight: 64,
    precise: false,
    durationMs: 1000,
    warmupMs: 0,
    intervalMs: 250,
    type: 'normal',
    fifoGroups: 4,
    txRollbackRatio: 0,
    verify: false,
    drainMs: 5000,
    slo: [],
    ...over,
  };
}

async function run(p: BenchParameters, ackMs?: (sendUs: number) => number) {
  const clock = new FakeClock();
  const world = new World(clock, ackMs);
  const payload = Buffer.alloc(p.sizes ? 70_000 : p.size, 'x');
  const engine = new BenchEngine({ params: p, ports: world, payload, clock, system: false, runId: 'wl0001' });
  const notes: string[] = [];
  engine.on('workload', (t: string) => notes.push(t));
  const t0 = clock.nowUs();
  const result = await clock.run(engine.run(), 20);
  return { result, world, t0, notes };
}

describe('engine: --rate-profile in virtual time', () => {
  test('intended send times follow the profile; each step holds its rate', async () => {
    const spec = '1000@1s,ramp 1000..3000@1s,3000@1s';
    const segments = parseRateProfile(spec);
    const { result, world, t0 } = await run(
      params({ rate: 3000, durationMs: 3000, rateProfile: { spec, segments }, producers: 2, consumers: 0 }),
    );
    const inWindow = (a: number, b: number) =>
      world.sent.filter((s) => s.sendUs >= t0 + a * 1000 && s.sendUs < t0 + b * 1000).length;
    // Node's timers are whole ms in virtual time too: the pacer sends what is due each ms.
    assert.ok(Math.abs(inWindow(0, 1000) - 1000) <= 2, String(inWindow(0, 1000)));
    assert.ok(Math.abs(inWindow(1000, 2000) - 2000) <= 2, String(inWindow(1000, 2000)));
    assert.ok(Math.abs(inWindow(1000, 1500) - 750) <= 2, String(inWindow(1000, 1500)));
    assert.ok(Math.abs(inWindow(2000, 3000) - 3000) <= 2, String(inWindow(2000, 3000)));
    assert.equal(result.totals.sent, 6000);
    const steps = result.workload!.rateProfile!.steps;
    assert.deepEqual(
      steps.map((s) => [s.from, s.to, s.due]),
      [
        [1000, 1000, 1000],
        [1000, 3000, 2000],
        [3000, 3000, 3000],
      ],
    );
    for (const s of steps) assert.ok(s.achieved! > 0.99 && s.achieved! < 1.01, JSON.stringify(s));
    // The corrected latency is the 1 ms reply plus at most the 1 ms timer tick.
    assert.ok(result.latency.send!.max <= 2100, String(result.latency.send!.max));
    assert.ok(
      !result.warnings.some((w) => w.includes('of the 3000 msg/s target')),
      result.warnings.join('; '),
    );
  });

  test('a stall during the ramp shows as latency from the intended times, not as a lower rate', async () => {
    const spec = '500@1s,ramp 500..1500@1s';
    const segments = parseRateProfile(spec);
    // Replies to sends in [1.2 s, 1.5 s) wait until 1.5 s: a 300 ms broker stall.
    let t0 = 0;
    const { result } = await run(
      params({ rate: 1500, durationMs: 2000, rateProfile: { spec, segments }, inflight: 1000, consumers: 0 }),
      (now) => {
        t0 ||= now;
        const at = (now - t0) / 1000;
        return at >= 1200 && at < 1500 ? 1500 - at : 1;
      },
    );
    assert.equal(result.totals.sent, 500 + 1000);
    // The first message of the stall waited ~300 ms from its intended time.
    assert.ok(
      result.latency.send!.max >= 295_000 && result.latency.send!.max <= 305_000,
      String(result.latency.send!.max),
    );
    assert.equal(result.latency.send!.count, 1500);
  });

  test('the warmup runs at the first rate; the profile starts with the measure window', async () => {
    const spec = '200@1s,400@1s';
    const { result } = await run(
      params({
        rate: 400,
        durationMs: 2000,
        warmupMs: 500,
        rateProfile: { spec, segments: parseRateProfile(spec) },
        consumers: 0,
      }),
    );
    assert.equal(result.totals.sent, 100 + 200 + 400);
    assert.deepEqual(
      result.workload!.rateProfile!.steps.map((s) => s.sent),
      [200, 400],
    );
  });
});

describe('engine: --backlog in virtual time', () => {
  test('consumers held until the backlog is built, then they catch up while producers go on', async () => {
    const { result, notes } = await run(
      params({
        rate: 1000,
        durationMs: 500,
        backlog: { messages: 400 },
        backlogTimeoutMs: 60_000,
        consumeTimeMs: 0.5,
      }),
    );
    const b = result.workload!.backlog!;
    assert.equal(b.built, true);
    assert.ok(b.builtMessages >= 400 && b.builtMessages <= 402, String(b.builtMessages));
    // 400 messages at 1000 msg/s, acknowledged 1 ms after each is sent.
    assert.ok(Math.abs(b.buildMs! - 400) <= 3, String(b.buildMs));
    // Consumers take 2000 msg/s against 1000 msg/s produced: the backlog shrinks by ~1000 msg/s
    // down to 100 messages (100 ms at --rate), so ~300 ms.
    assert.equal(b.caughtUp, true);
    assert.equal(b.thresholdMessages, 100);
    assert.ok(b.catchUpMs! > 250 && b.catchUpMs! < 350, String(b.catchUpMs));
    assert.ok(Math.abs(b.drainTps! - 2000) < 100, String(b.drainTps));
    assert.ok(Math.abs(b.netDrainTps! - b.builtMessages / (b.catchUpMs! / 1000)) < 1);
    // --duration runs from the catch-up: sending lasted build + catch-up + 500 ms.
    const sendingMs = result.totals.sent;
    assert.ok(Math.abs(sendingMs - (b.buildMs! + b.catchUpMs! + 500)) < 10, `${sendingMs} sent`);
    // Nothing was received while held, and everything was in the end.
    const firstIntervals = result.intervals.filter((i) => i.endMs <= 250);
    assert.ok(firstIntervals.every((i) => i.received === 0));
    assert.equal(result.totals.received, result.totals.sent);
    assert.equal(notes.length, 2, notes.join('; '));
  });

  test('a bytes target counts body bytes; the time limit ends a run whose consumers never catch up', async () => {
    const { result } = await run(
      params({
        rate: 1000,
        durationMs: 500,
        backlog: { bytes: 20_000 },
        backlogTimeoutMs: 2000,
        consumeTimeMs: 2,
      }),
    );
    const b = result.workload!.backlog!;
    assert.equal(b.built, true);
    assert.ok(b.builtBytes >= 20_000 && b.builtBytes < 20_300, String(b.builtBytes));
    assert.equal(b.caughtUp, false);
    assert.equal(b.catchUpMs, null);
    assert.ok(Math.abs(result.phases.measureMs - 2000) < 5, String(result.phases.measureMs));
    assert.ok(
      result.warnings.some((w) => w.includes('did not catch up')),
      result.warnings.join('; '),
    );
  });
});

describe('engine: --consume-time, --size, --keys in virtual time', () => {
  test('slow consumers: the backlog grows at rate − capacity', async () => {
    // 1000 msg/s produced, one consumer at 2 ms per message (500 msg/s).
    const { result } = await run(params({ rate: 1000, durationMs: 2000, consumeTimeMs: 2, drainMs: 100 }));
    const ct = result.workload!.consumeTime!;
    assert.ok(Math.abs(ct.growthPerS! - 500) < 25, String(ct.growthPerS));
    assert.ok(Math.abs(ct.endBacklog - 1000) < 30, String(ct.endBacklog));
    assert.ok(Math.abs(result.throughput.receive.tps - 500) < 10, String(result.throughput.receive.tps));
  });

  test('weighted sizes and zipf keys reach the messages; bytes are the bodies actually sent', async () => {
    const { result, world } = await run(
      params({
        rate: 2000,
        durationMs: 2048,
        sizes: parseSizeSpec('100:3,1000:1'),
        size: 325,
        keyCount: 20,
        keyDist: { kind: 'zipf', exponent: 1 },
      }),
    );
    const sizes = new Map<number, number>();
    for (const s of world.sent) sizes.set(s.bytes, (sizes.get(s.bytes) ?? 0) + 1);
    assert.deepEqual(
      [...sizes.keys()].sort((a, b) => a - b),
      [100, 1000],
    );
    // 4096 messages: the pool exactly once round, 3:1.
    assert.equal(world.sent.length, 4096);
    assert.equal(sizes.get(100), 3072);
    const bytes = world.sent.reduce((a, s) => a + s.bytes, 0);
    assert.equal(result.totals.bytesSent, bytes);
    assert.equal(result.totals.bytesReceived, bytes);
    assert.equal(result.workload!.sizes!.sentMean, 325);
    const keys = new Set(world.sent.map((s) => s.keys?.[0]));
    assert.ok(keys.size <= 20 && [...keys].every((k) => /^k\d+$/.test(k ?? '')));
    assert.ok(world.sent.every((s) => s.hashKey === s.keys?.[0]));
    // Zipf s = 1 over 20 keys: the top key takes 1 / H(20) = 27.9 %.
    const w = result.workload!.keys!;
    assert.ok(Math.abs(w.hottestShare! - 0.279) < 0.03, String(w.hottestShare));
    assert.equal(w.used, keys.size);
  });
});

describe('planBench: the workload flags', () => {
  const input = (over: Partial<BenchInput>): BenchInput => ({
    namesrv: ['127.0.0.1:1'],
    timeoutMs: 1000,
    queues: 8,
    producers: 1,
    consumers: 1,
    groups: 1,
    size: 1024,
    keys: false,
    mode: 'async',
    batch: 1,
    warmupMs: 0,
    intervalMs: 1000,
    fifoGroups: 16,
    verify: false,
    drainMs: 1000,
    slo: [],
    retries: 2,
    toolVersion: '0',
    ...over,
  });

  test('a profile sets the peak rate and the length', () => {
    const p = planBench(input({ rateProfile: '1000@10s,ramp 1000..4000@20s' })).params;
    assert.equal(p.rate, 4000);
    assert.equal(p.durationMs, 30_000);
    assert.equal(p.rateProfile?.segments.length, 2);
  });

  test('sizes, keys, backlog', () => {
    const p = planBench(
      input({ sizeSpec: '1k..3k', keyCount: '100', keyDist: 'zipf:1.2', rate: 100, backlog: '1MiB' }),
    ).params;
    assert.equal(p.size, 2048);
    assert.deepEqual(p.sizes, { kind: 'range', min: 1024, max: 3072 });
    assert.equal(p.keyCount, 100);
    assert.equal(p.keys, false);
    assert.deepEqual(p.backlog, { bytes: 1048576 });
    assert.equal(p.backlogTimeoutMs, 600_000);
  });

  for (const [what, over, message] of [
    ['profile with --rate', { rateProfile: '1@1s', rate: 5 }, '--rate-profile cannot be used with --rate'],
    ['profile with --duration', { rateProfile: '1@1s', durationMs: 5 }, 'with --duration'],
    ['backlog without a rate', { backlog: '1000' }, '--backlog needs --rate'],
    ['backlog with workers', { backlog: '1000', rate: 5, producers: 2, workers: 2 }, 'one thread'],
    ['backlog with pop', { backlog: '1000', rate: 5, consumeModes: ['pop'] }, 'pop'],
    [
      'backlog without consumers',
      { backlog: '1000', rate: 5, consumers: 0 },
      'needs producers and consumers',
    ],
    ['backlog-timeout alone', { backlogTimeoutMs: 5 }, 'goes with --backlog'],
    ['key-dist alone', { keyDist: 'uniform' }, '--key-dist goes with --keys N'],
    ['a bad key count', { keyCount: '0' }, 'invalid --keys'],
    ['consume-time without consumers', { consumeTimeMs: 2, consumers: 0 }, 'needs consumers'],
    ['payload-dir and payload-file', { payloadDir: '/tmp', payloadFile: '/x' }, 'not both'],
    [
      'payload-dir and a size range',
      { payloadDir: '/tmp', sizeSpec: '1k..2k' },
      'cannot be used with --payload-dir',
    ],
    ['a huge batch of big sizes', { sizeSpec: '1k..1MiB', batch: 8 }, 'can exceed 4 MiB'],
  ] as const) {
    test(`refuses ${what}`, () => {
      assert.throws(
        () => planBench(input(over as Partial<BenchInput>)),
        (err: unknown) => err instanceof InvalidArgumentError && err.message.includes(message),
      );
    });
  }
});

describe('the workload in results', () => {
  test('merged across worker threads: steps and counts add up; the report shows them', async () => {
    const spec = '200@1s,400@1s';
    const p = params({
      rate: 200,
      durationMs: 2000,
      rateProfile: { spec, segments: parseRateProfile(spec) },
      consumers: 0,
      keyCount: 4,
      keyDist: { kind: 'roundrobin' },
    });
    const a = (await run(p)).result;
    const b = (await run(p)).result;
    const merged = mergeWorkload([a, b])!;
    assert.deepEqual(
      merged.rateProfile!.steps.map((s) => [s.from, s.due, s.sent]),
      [
        [200, 200, 200],
        [400, 400, 400],
      ],
    );
    assert.equal(merged.rateProfile!.peak, 400);
    assert.equal(merged.keys!.used, 4);
    assert.equal(merged.keys!.hottestShare, 0.25);
    const text = renderBenchReport({ ...a, workload: merged }, { color: false });
    assert.match(text, /rate profile "200@1s,400@1s": 200 msg\/s for 1s, 400 msg\/s for 1s/);
    assert.match(text, /keys 4 roundrobin: 4 used, the most frequent took 25\.0 %/);
    assert.match(text, /\n\s+2\s+1\.0 s\s+1\.0 s\s+400\s+400\s+400\s+400\s+100\.0 %/);
  });

  test('the backlog in the report', async () => {
    const { result } = await run(
      params({ rate: 1000, durationMs: 200, backlog: { messages: 300 }, backlogTimeoutMs: 60_000 }),
    );
    const text = renderBenchReport(result, { color: false });
    assert.match(text, /backlog: 300 messages built with the consumers held/);
    assert.match(text, /backlog built: 30\d messages, [\d.]+ KiB in 30\d ms/);
    assert.match(text, /caught up \d+ ms after the release: drained at [\d,]+ msg\/s per group/);
  });
});
