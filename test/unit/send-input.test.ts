/** Input parsing and the send loop of `rmq send`, without a broker. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { OnewaySettled } from '../../src/core/client/oneway-fence.js';
import type { OnewayReceipt, SendResult, TransactionAction } from '../../src/core/client/producer.js';
import type { OutgoingMessage } from '../../src/core/client/outgoing-message.js';
import type { OnewaySent } from '../../src/core/client/remoting-client.js';
import { BrokerResponseError, InvalidArgumentError, TimeoutError } from '../../src/core/errors.js';
import { parseDelimiter } from '../../src/services/escapes.js';
import {
  applyTemplate,
  type InputMessage,
  messageSource,
  parseProperties,
  parseTime,
  readLines,
  readNdjson,
  splitRecords,
} from '../../src/services/input.js';
import {
  type LoopOptions,
  ONEWAY_FENCE_EVERY,
  runLoop,
  type SendRecord,
  type SendTarget,
} from '../../src/services/send/loop.js';
import { planSend, type SendRequest } from '../../src/services/send/plan.js';
import { TransactionBook } from '../../src/services/send/transaction.js';

const chunks = (...parts: (string | Buffer)[]): AsyncIterable<Buffer> =>
  Readable.from(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Every way of cutting `text` into pieces at random points, a few hundred times. */
function randomChunkings(text: Buffer, rounds: number): Buffer[][] {
  const out: Buffer[][] = [];
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let r = 0; r < rounds; r++) {
    const parts: Buffer[] = [];
    let i = 0;
    while (i < text.length) {
      const n = 1 + Math.floor(rnd() * 7);
      parts.push(text.subarray(i, i + n));
      i += n;
    }
    out.push(parts);
  }
  return out;
}

describe('splitRecords', () => {
  it('splits on a multi-byte delimiter that straddles chunk boundaries, in any chunking', async () => {
    const text = Buffer.from('alpha<>beta<><>gamma<>d<');
    const expected = ['alpha', 'beta', '', 'gamma', 'd<'];
    const oneByte = [...text].map((b) => Buffer.from([b]));
    for (const parts of [[text], oneByte, ...randomChunkings(text, 200)]) {
      const got = await collect(splitRecords(chunks(...parts), Buffer.from('<>')));
      assert.deepEqual(
        got.map((r) => r.data.toString()),
        expected,
      );
      assert.deepEqual(
        got.map((r) => r.line),
        [1, 2, 3, 4, 5],
      );
    }
  });

  it('yields nothing for empty input and no phantom record after a trailing delimiter', async () => {
    assert.deepEqual(await collect(splitRecords(chunks(), Buffer.from('\n'))), []);
    const got = await collect(splitRecords(chunks('a\n', 'b\n'), Buffer.from('\n')));
    assert.deepEqual(
      got.map((r) => r.data.toString()),
      ['a', 'b'],
    );
  });

  it('refuses a record longer than the limit instead of buffering it', async () => {
    await assert.rejects(
      collect(splitRecords(chunks('ok\n', 'x'.repeat(10), 'y'.repeat(10)), Buffer.from('\n'), 15)),
      (err: Error) =>
        err instanceof InvalidArgumentError && /^line 2 is longer than 15 bytes/.test(err.message),
    );
  });

  it('keeps binary bytes intact', async () => {
    const got = await collect(
      splitRecords(chunks(Buffer.from([0xff, 0, 0xfe]), Buffer.from([0, 1])), Buffer.from([0])),
    );
    assert.deepEqual(
      got.map((r) => [...r.data]),
      [[0xff], [0xfe], [1]],
    );
  });
});

describe('readLines', () => {
  it('skips empty lines, strips the CR of CRLF, and keeps line numbers of the input', async () => {
    const got = await collect(readLines(chunks('a\r\n\nb', '\r\n\r\nc'), Buffer.from('\n')));
    assert.deepEqual(
      got.map((r) => [r.body.toString(), r.line]),
      [
        ['a', 1],
        ['b', 3],
        ['c', 5],
      ],
    );
  });

  it('keeps a CR when the delimiter is not a newline', async () => {
    const got = await collect(readLines(chunks('a\r;b'), Buffer.from(';')));
    assert.deepEqual(
      got.map((r) => r.body.toString()),
      ['a\r', 'b'],
    );
  });
});

describe('parseDelimiter', () => {
  it('decodes escapes and keeps other text as UTF-8', () => {
    assert.deepEqual(parseDelimiter('\\n'), Buffer.from('\n'));
    assert.deepEqual(parseDelimiter('\\0'), Buffer.from([0]));
    assert.deepEqual(parseDelimiter('\\t|\\r'), Buffer.from('\t|\r'));
    assert.deepEqual(parseDelimiter('\\xff\\x00'), Buffer.from([0xff, 0]));
    assert.deepEqual(parseDelimiter('§'), Buffer.from('§', 'utf8'));
    assert.deepEqual(parseDelimiter('\\\\'), Buffer.from('\\'));
    assert.deepEqual(parseDelimiter('\\q'), Buffer.from('\\q'));
    assert.throws(() => parseDelimiter(''), /must not be empty/);
  });
});

describe('readNdjson', () => {
  it('turns records into messages, numbering lines as in the input', async () => {
    const input =
      '{"body":"a","tags":"t","keys":["k1","k2"],"properties":{"p":1}}\n\n{"bodyBase64":"AP8="}\n';
    const got = await collect(readNdjson(chunks(input), 'T'));
    assert.equal(got.length, 2);
    assert.deepEqual(got[0]!.msg, {
      topic: 'T',
      body: Buffer.from('a'),
      tags: 't',
      keys: ['k1', 'k2'],
      properties: { p: '1' },
      messageGroup: undefined,
    });
    assert.equal(got[0]!.line, 1);
    assert.deepEqual(got[1]!.msg.body, Buffer.from([0, 0xff]));
    assert.equal(got[1]!.line, 3);
  });

  it('names the line of a record that is not JSON, after yielding the ones before it', async () => {
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const { msg } of readNdjson(
          chunks('{"body":"ok"}\n{"bo', 'dy":"split"}\n{oops}\n{"body":"late"}\n'),
          'T',
        )) {
          seen.push(msg.body.toString());
        }
      })(),
      (err: Error) => err instanceof InvalidArgumentError && /^line 3: not a JSON record/.test(err.message),
    );
    assert.deepEqual(seen, ['ok', 'split']);
  });

  it('names the line of a record without a body, with a bad delayLevel, or with an empty body', async () => {
    const cases: [string, RegExp][] = [
      ['{"tags":"x"}', /^line 1: the record has no "body" or "bodyBase64"/],
      ['{"body":"x","delayLevel":19}', /^line 1: delayLevel must be a whole number from 1 to 18/],
      ['{"body":""}', /^line 1: the message body is empty/],
      ['"just a string"', /^line 1: a record must be a JSON object/],
      ['{"body":"x","delay":"soon"}', /invalid line 1: delay "soon"/],
    ];
    for (const [line, re] of cases) {
      await assert.rejects(collect(readNdjson(chunks(`${line}\n`), 'T')), (err: Error) =>
        re.test(err.message),
      );
    }
  });
});

describe('parseProperties', () => {
  it('splits on the first = and rejects empty names or values', () => {
    assert.deepEqual(parseProperties(['a=1', 'b=x=y', ' c =z']), { a: '1', b: 'x=y', c: 'z' });
    for (const bad of ['novalue', '=x', 'k=', '']) {
      assert.throws(
        () => parseProperties([bad]),
        (err: Error) => err instanceof InvalidArgumentError && err.message === `invalid --property "${bad}"`,
      );
    }
    assert.throws(() => parseProperties(['a=b\u0001c']), /contains/);
  });
});

describe('parseTime', () => {
  it('reads ISO times and epoch ms', () => {
    assert.equal(parseTime('2030-01-01T00:00:00Z'), Date.UTC(2030, 0, 1));
    assert.equal(parseTime('1893456000000'), 1893456000000);
    assert.throws(() => parseTime('tomorrow'), /invalid --deliver-at "tomorrow"/);
  });
});

describe('applyTemplate and messageSource', () => {
  it('lets a record override flags field by field, delays as one', () => {
    const msg: OutgoingMessage = {
      topic: 'T',
      body: Buffer.from('x'),
      tags: undefined,
      keys: undefined,
      properties: { a: 'record' },
      delayLevel: 2,
    };
    const got = applyTemplate(msg, {
      tags: 'flagTag',
      keys: ['fk'],
      properties: { a: 'flag', b: 'flag' },
      delayMs: 5000,
      messageGroup: 'g',
    });
    assert.equal(got.tags, 'flagTag');
    assert.deepEqual(got.keys, ['fk']);
    assert.deepEqual(got.properties, { a: 'record', b: 'flag' });
    assert.equal(got.delayLevel, 2);
    assert.equal(got.delayMs, undefined);
    assert.equal(got.messageGroup, 'g');
  });

  it('repeats a body --count times and caps stdin at --count', async () => {
    const rep = await collect(
      messageSource('T', { kind: 'body', body: Buffer.from('b'), count: 3 }, { tags: 't' }),
    );
    assert.deepEqual(
      rep.map((m) => [m.index, m.msg.body.toString(), m.msg.tags]),
      [
        [1, 'b', 't'],
        [2, 'b', 't'],
        [3, 'b', 't'],
      ],
    );
    const lines = await collect(
      messageSource(
        'T',
        { kind: 'lines', stream: chunks('1\n2\n3\n4\n'), delimiter: Buffer.from('\n'), limit: 2 },
        {},
      ),
    );
    assert.deepEqual(
      lines.map((m) => m.msg.body.toString()),
      ['1', '2'],
    );
    const gen = await collect(messageSource('T', { kind: 'generated', size: 100, count: 2 }, {}));
    assert.ok(gen.every((m) => m.msg.body.length === 100 && /^[A-Za-z0-9]+$/.test(m.msg.body.toString())));
  });
});

describe('planSend', () => {
  const base: SendRequest = {
    topic: 'T',
    namesrv: '127.0.0.1:9876',
    timeoutMs: 3000,
    group: 'g',
    input: 'lines',
    mode: 'sync',
    concurrency: 64,
    checkResult: 'commit',
    waitCheckMs: 0,
    retries: 2,
    compress: true,
    failFast: false,
    stdin: Readable.from([]),
  };

  it('refuses a terminal as standard input when no body source is given', async () => {
    const tty = Object.assign(Readable.from([]), { isTTY: true });
    await assert.rejects(planSend({ ...base, stdin: tty }), /no message to send/);
    const plan = await planSend({ ...base, stdin: tty, body: 'x' });
    assert.equal(plan.source.kind, 'body');
  });

  it('rejects combinations the broker or the client cannot honour', async () => {
    const bad: [Partial<SendRequest>, RegExp][] = [
      [{ body: 'x', delayLevel: 0 }, /--delay-level must be a whole number from 1 to 18, got 0/],
      [{ body: 'x', delayMs: 1000, deliverAt: '1893456000000' }, /only one of/],
      [{ body: 'x', batch: 10, mode: 'oneway' }, /--batch cannot be combined with --mode oneway/],
      [{ body: 'x', batch: 10, transaction: 'commit' }, /--batch cannot be combined with --transaction/],
      [{ body: 'x', batch: 10, delayLevel: 3 }, /a batch cannot hold delayed messages/],
      [{ body: 'x', transaction: 'unknown', delayMs: 1000 }, /cannot be delayed/],
      [{ body: 'x', size: '1k' }, /only one of --body, --file and --size/],
      [{ body: '' }, /--body is empty/],
      [{ size: '5MiB' }, /--size must be from 1 byte to 4 MiB/],
      [{ body: 'x', delimiter: ';' }, /--delimiter applies only/],
      [{ body: 'x', count: 0 }, /--count must be a whole number of at least 1/],
      [{ body: 'x', input: 'ndjson' }, /--input ndjson reads records/],
      [{ body: 'x', properties: ['oops'] }, /invalid --property "oops"/],
    ];
    for (const [patch, re] of bad) {
      await assert.rejects(planSend({ ...base, ...patch }), re, JSON.stringify(patch));
    }
  });

  it('builds the template from flags; sync mode is one request at a time', async () => {
    const plan = await planSend({
      ...base,
      body: 'x',
      keys: ['a b', 'c'],
      tag: 'T1',
      properties: ['p=1'],
      deliverAt: '2030-01-01T00:00:00Z',
      concurrency: 8,
      compress: false,
    });
    assert.deepEqual(plan.template.keys, ['a', 'b', 'c']);
    assert.equal(plan.template.tags, 'T1');
    assert.deepEqual(plan.template.properties, { p: '1' });
    assert.equal(plan.template.deliverAtMs, Date.UTC(2030, 0, 1));
    assert.equal(plan.loop.concurrency, 1);
    assert.equal(plan.compressThreshold, Number.POSITIVE_INFINITY);
  });
});

/** Where a fake oneway send went: nowhere; only a fake fence looks at it. */
const NO_WIRE = { connection: undefined, opaque: 0 } as unknown as OnewaySent;

/** A producer stand-in that records concurrency per lane and answers after a tick or two. */
class FakeProducer implements SendTarget {
  active = 0;
  maxActive = 0;
  readonly activeByGroup = new Map<string, number>();
  maxPerGroup = 0;
  readonly order: string[] = [];
  failOn = new Set<string>();
  batches: number[] = [];

  private async work(m: OutgoingMessage): Promise<void> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    const g = m.messageGroup;
    if (g !== undefined) {
      const n = (this.activeByGroup.get(g) ?? 0) + 1;
      this.activeByGroup.set(g, n);
      this.maxPerGroup = Math.max(this.maxPerGroup, n);
    }
    // Later messages finish first sometimes: results must still come out in input order.
    await new Promise((r) => setTimeout(r, (Number(m.body.toString().replace(/\D/g, '')) * 7) % 5));
    this.order.push(m.body.toString());
    if (g !== undefined) this.activeByGroup.set(g, this.activeByGroup.get(g)! - 1);
    this.active--;
    if (this.failOn.has(m.body.toString())) throw new BrokerResponseError(14, 'nope', '127.0.0.1:1');
  }

  private result(m: OutgoingMessage): SendResult {
    return {
      status: 'SEND_OK',
      msgId: m.properties!.UNIQ_KEY!,
      offsetMsgId: '7F000001000078BF0000000000000000',
      brokerName: 'b',
      brokerAddress: '127.0.0.1:1',
      queueId: 0,
      queueOffset: 0,
      regionId: 'DefaultRegion',
      traceOn: true,
      attempts: 1,
    };
  }

  async send(m: OutgoingMessage): Promise<SendResult> {
    await this.work(m);
    return this.result(m);
  }
  async sendOneway(m: OutgoingMessage): Promise<OnewayReceipt> {
    this.order.push(m.body.toString());
    return { msgId: m.properties!.UNIQ_KEY!, brokerName: 'b', queueId: 0, sent: NO_WIRE };
  }
  async sendBatch(ms: OutgoingMessage[]): Promise<SendResult[]> {
    this.batches.push(ms.length);
    for (const m of ms) this.order.push(m.body.toString());
    return ms.map((m) => this.result(m));
  }
  async sendTransaction(
    m: OutgoingMessage,
    action: TransactionAction,
  ): Promise<SendResult & { action: TransactionAction }> {
    await this.work(m);
    return { ...this.result(m), action };
  }
}

async function* numbered(n: number, group?: (i: number) => string | undefined): AsyncGenerator<InputMessage> {
  for (let i = 1; i <= n; i++) {
    yield { index: i, msg: { topic: 'T', body: Buffer.from(`m${i}`), messageGroup: group?.(i) } };
  }
}

const loop = (o: Partial<LoopOptions>): LoopOptions => ({
  mode: 'async',
  concurrency: 8,
  batch: 0,
  failFast: false,
  maxResults: 10_000,
  ...o,
});

describe('runLoop', () => {
  it('keeps at most --concurrency in flight and reports in input order', async () => {
    const p = new FakeProducer();
    const seen: number[] = [];
    const out = await runLoop(p, numbered(200), loop({ concurrency: 8 }), {
      onResult: (r) => seen.push(r.index),
    });
    assert.equal(out.sent, 200);
    assert.equal(p.maxActive, 8);
    assert.deepEqual(
      seen,
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    assert.ok(out.results.every((r) => /^[0-9A-F]{32}$/.test(r.msgId)));
  });

  it('sync mode is one at a time', async () => {
    const p = new FakeProducer();
    await runLoop(p, numbered(20), loop({ mode: 'sync', concurrency: 1 }));
    assert.equal(p.maxActive, 1);
  });

  it('never has two messages of one group in flight, and keeps each group in order', async () => {
    const p = new FakeProducer();
    const out = await runLoop(
      p,
      numbered(300, (i) => `g${i % 3}`),
      loop({ concurrency: 32 }),
    );
    assert.equal(out.sent, 300);
    assert.equal(p.maxPerGroup, 1);
    assert.ok(p.maxActive > 1, 'different groups do run side by side');
    for (const g of [0, 1, 2]) {
      const mine = p.order.filter((b) => Number(b.slice(1)) % 3 === g);
      assert.deepEqual(
        mine,
        [...mine].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))),
      );
    }
  });

  it('goes on after a failure, and stops at it with failFast', async () => {
    const p = new FakeProducer();
    p.failOn.add('m3');
    const out = await runLoop(p, numbered(10), loop({ mode: 'sync', concurrency: 1 }));
    assert.deepEqual([out.sent, out.failed], [9, 1]);
    assert.equal(out.results[2]!.status, 'FAILED');
    assert.equal(out.results[2]!.error?.kind, 'broker');
    assert.equal(out.results[2]!.error?.code, 14);
    assert.ok(out.firstError instanceof BrokerResponseError);

    const q = new FakeProducer();
    q.failOn.add('m3');
    const ff = await runLoop(q, numbered(10), loop({ mode: 'sync', concurrency: 1, failFast: true }));
    assert.deepEqual([ff.sent, ff.failed], [2, 1]);
    assert.deepEqual(q.order, ['m1', 'm2', 'm3']);
  });

  it('stops reading at a bad input record after sending what came before', async () => {
    async function* src(): AsyncGenerator<InputMessage> {
      yield* numbered(3);
      throw new InvalidArgumentError('line 4: not a JSON record');
    }
    const p = new FakeProducer();
    const out = await runLoop(p, src(), loop({}));
    assert.equal(out.sent, 3);
    assert.match(out.inputError?.message ?? '', /line 4/);
  });

  it('batches N per request and flushes the rest at the end', async () => {
    const p = new FakeProducer();
    const out = await runLoop(p, numbered(25), loop({ batch: 10 }));
    assert.equal(out.sent, 25);
    assert.deepEqual(p.batches, [10, 10, 5]);
  });

  it('starts a new batch when the message group changes', async () => {
    const p = new FakeProducer();
    await runLoop(
      p,
      numbered(6, (i) => (i <= 2 ? 'a' : 'b')),
      loop({ batch: 10 }),
    );
    assert.deepEqual(p.batches, [2, 4]);
  });

  it('caps the kept results but counts them all', async () => {
    const p = new FakeProducer();
    const out = await runLoop(p, numbered(30), loop({ mode: 'oneway', maxResults: 10 }));
    assert.equal(out.sent, 30);
    assert.equal(out.results.length, 10);
    assert.equal(out.resultsOmitted, 20);
    assert.equal(out.results[0]!.status, 'ONEWAY');
  });

  it('stops reading when aborted', async () => {
    const p = new FakeProducer();
    const ac = new AbortController();
    let n = 0;
    const out = await runLoop(p, numbered(1000), loop({ mode: 'sync', concurrency: 1, signal: ac.signal }), {
      onResult: () => {
        if (++n === 5) ac.abort();
      },
    });
    assert.equal(out.interrupted, true);
    assert.equal(out.sent, 5);
  });

  it('reports a timeout with its kind', async () => {
    const target: SendTarget = {
      ...new FakeProducer(),
      send: async () => {
        throw new TimeoutError('request 310 timed out', 10);
      },
      sendOneway: async () => ({ msgId: '', brokerName: '', queueId: 0, sent: NO_WIRE }),
      sendBatch: async () => [],
      sendTransaction: async () => {
        throw new Error('unused');
      },
    };
    const out = await runLoop(target, numbered(2), loop({ mode: 'sync', concurrency: 1 }));
    assert.deepEqual(
      out.results.map((r) => r.error?.kind),
      ['timeout', 'timeout'],
    );
  });
});

describe('runLoop --mode oneway with a fence', () => {
  /** A fence that settles what was tracked, failing the messages whose body is in `drop`. */
  class FakeFence {
    tracked: SendRecord[] = [];
    /** How many messages each settle() found. */
    readonly rounds: number[] = [];
    constructor(private readonly drop: Set<string>) {}
    track(_sent: OnewaySent, rec: SendRecord): void {
      this.tracked.push(rec);
    }
    async settle(): Promise<OnewaySettled<SendRecord>[]> {
      const batch = this.tracked;
      this.tracked = [];
      this.rounds.push(batch.length);
      await new Promise((r) => setTimeout(r, 1));
      return batch.map((rec) => ({
        tag: rec,
        error: this.drop.has(`m${rec.index}`)
          ? new BrokerResponseError(2, '[TIMEOUT_CLEAN_QUEUE]broker busy', '127.0.0.1:1')
          : undefined,
      }));
    }
  }

  it('reports each message only when a fence settled it: taken ONEWAY, dropped FAILED, in input order', async () => {
    const fence = new FakeFence(new Set(['m3', 'm300']));
    const seen: [number, string][] = [];
    const out = await runLoop(
      new FakeProducer(),
      numbered(600),
      loop({ mode: 'oneway', concurrency: 1 }),
      { onResult: (r) => seen.push([r.index, r.status]) },
      { oneway: fence },
    );
    // A fence after every ONEWAY_FENCE_EVERY messages, and one for the rest at the end.
    assert.deepEqual(fence.rounds, [ONEWAY_FENCE_EVERY, ONEWAY_FENCE_EVERY, 600 - 2 * ONEWAY_FENCE_EVERY]);
    assert.deepEqual(
      seen.map(([i]) => i),
      Array.from({ length: 600 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      seen.filter(([, st]) => st === 'FAILED').map(([i]) => i),
      [3, 300],
    );
    assert.equal(out.sent, 598);
    assert.equal(out.failed, 2);
    const failed = out.results.find((r) => r.index === 3)!;
    assert.equal(failed.error?.code, 2);
    assert.equal(failed.error?.kind, 'broker');
    assert.equal(failed.brokerName, 'b', 'a dropped message still says where it went');
    assert.equal(out.firstError?.message.includes('TIMEOUT_CLEAN_QUEUE'), true);
  });

  it('--fail-fast stops at the first fence that found a drop', async () => {
    const fence = new FakeFence(new Set(['m3']));
    const out = await runLoop(
      new FakeProducer(),
      numbered(2000),
      loop({ mode: 'oneway', concurrency: 1, failFast: true }),
      {},
      { oneway: fence },
    );
    assert.equal(out.failed, 1);
    assert.equal(out.sent, ONEWAY_FENCE_EVERY - 1);
  });
});

describe('TransactionBook', () => {
  const req = (msgId: string) => ({ message: undefined, msgId, transactionId: msgId, brokerAddress: 'b' });

  it('answers unknown messages with the check result, keeps others, and leaves strangers unknown', async () => {
    const book = new TransactionBook('rollback');
    book.sending('A', 'unknown');
    book.sending('B', 'commit');
    assert.equal(book.pending, 1);
    assert.equal(book.decide(req('B')), 'commit');
    assert.equal(book.decide(req('X')), 'unknown');
    assert.equal(book.checksForOthers, 1);
    const waiting = book.waitForChecks(10_000);
    assert.equal(book.decide(req('A')), 'rollback');
    await waiting; // ends early: every unknown message was checked
    assert.equal(book.pending, 0);
    assert.equal(book.checksAnswered, 2);
  });

  it('gives up waiting after the duration', async () => {
    const book = new TransactionBook('commit');
    book.sending('A', 'unknown');
    const t0 = Date.now();
    await book.waitForChecks(50);
    assert.ok(Date.now() - t0 >= 45);
    assert.equal(book.pending, 1);
  });
});
