/**
 * OnewayFence against a scripted broker that behaves as RocketMQ's does: it never answers a oneway
 * send it takes, answers one it drops from its send queue with SYSTEM_BUSY, and answers the fence
 * (a send to an illegal topic name) when the fence gets through that queue.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FENCE_TOPIC, OnewayFence } from '../../src/core/client/oneway-fence.js';
import { RocketMQError } from '../../src/core/errors.js';
import { RequestCode, ResponseCode } from '../../src/core/remoting/codes.js';
import {
  encodeFrame,
  FLAG_ONEWAY,
  FLAG_RESPONSE,
  LanguageCode,
  type RemotingCommand,
  SerializeType,
} from '../../src/core/remoting/command.js';
import { Connection } from '../../src/core/remoting/connection.js';
import { FakeBroker, SERVER_VERSION } from '../helpers/fake-broker.js';

/** 5.x's answer to an illegal topic name (4.9 answers SYSTEM_ERROR with the same text). */
const INVALID_PARAMETER = 29;
const TOPIC_REFUSED = 'The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$';

/** What RequestTask.returnResponse writes for a request thrown out of the send queue. */
function dropAnswer(opaque: number): Buffer {
  return encodeFrame({
    code: ResponseCode.SYSTEM_BUSY,
    language: LanguageCode.JAVA,
    version: SERVER_VERSION,
    opaque,
    flag: FLAG_RESPONSE,
    remark:
      '[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: 201ms, size of queue: 7',
    extFields: {},
    serializeType: SerializeType.JSON,
  });
}

const isFence = (req: RemotingCommand) =>
  req.code === RequestCode.SEND_MESSAGE_V2 && !(req.flag & FLAG_ONEWAY);

describe('OnewayFence', () => {
  let broker: FakeBroker;
  let conn: Connection;
  let fence: OnewayFence<string>;

  beforeEach(async () => {
    broker = await FakeBroker.start();
    conn = await Connection.connect({ address: broker.address });
    fence = new OnewayFence<string>('pg', 500);
  });

  afterEach(async () => {
    fence.close();
    conn.close();
    await broker.close();
  });

  /** A oneway send of `tag`, tracked. */
  function send(tag: string): number {
    const opaque = conn.oneway(RequestCode.SEND_MESSAGE_V2, { b: 'T' }, Buffer.from(tag));
    fence.track({ connection: conn, opaque }, tag);
    return opaque;
  }

  it('a message the broker answered was dropped; one it did not answer before the fence was taken', async () => {
    const dropped = new Set<number>();
    broker.respondWith(RequestCode.SEND_MESSAGE_V2, async (req) => {
      // A queue drop is answered before the fence behind it: write those first.
      for (const opaque of dropped) await broker.sendRaw(dropAnswer(opaque));
      return { code: INVALID_PARAMETER, remark: TOPIC_REFUSED, opaque: req.opaque };
    });
    send('a');
    dropped.add(send('b'));
    send('c');
    const settled = await fence.settle();

    assert.deepEqual(
      settled.map((s) => [s.tag, s.error === undefined]),
      [
        ['a', true],
        ['b', false],
        ['c', true],
      ],
    );
    const err = settled[1]!.error as RocketMQError;
    assert.equal(err.kind, 'broker');
    assert.match(err.message, /TIMEOUT_CLEAN_QUEUE/);
    assert.equal(fence.unsettled, 0);

    // The fence is a send the broker's first check refuses: it travels the send queue, stores nothing.
    const f = broker.requests.filter(isFence);
    // Two: the second gives a drop answer written late time to come (next test).
    assert.equal(f.length, 2);
    assert.equal(f[0]!.extFields.b, FENCE_TOPIC);
    assert.doesNotMatch(FENCE_TOPIC, /^[%|a-zA-Z0-9_-]+$/, 'a name no topic can have');
    assert.ok((f[0]!.body?.length ?? 0) > 0, 'a body: the broker reads its length before the topic check');
    // Behind the messages it fences, on their connection.
    assert.deepEqual(broker.requests.slice(-2), f);
  });

  it("a drop answer written after the fence's (the broker's sweep thread paused) still counts", async () => {
    let fences = 0;
    const late: number[] = [];
    broker.respondWith(RequestCode.SEND_MESSAGE_V2, async (req) => {
      // The first fence is answered before the drop; the drop's answer comes before the second's.
      if (++fences === 2) for (const opaque of late) await broker.sendRaw(dropAnswer(opaque));
      return { code: INVALID_PARAMETER, remark: TOPIC_REFUSED, opaque: req.opaque };
    });
    send('a');
    late.push(send('b'));
    const settled = await fence.settle();
    assert.deepEqual(
      settled.map((s) => [s.tag, s.error === undefined]),
      [
        ['a', true],
        ['b', false],
      ],
    );
  });

  it('a fence refused before the queue (flow control) proves nothing: each message may or may not be stored', async () => {
    broker.respondWith(RequestCode.SEND_MESSAGE_V2, () => ({
      code: ResponseCode.SYSTEM_BUSY,
      remark: '[REJECTREQUEST]system busy, start flow control for a while',
    }));
    send('a');
    send('b');
    const settled = await fence.settle();
    assert.equal(settled.length, 2);
    for (const s of settled) {
      assert.ok(s.error instanceof RocketMQError);
      assert.equal(s.error.kind, 'broker');
      assert.match(s.error.message, /REJECTREQUEST.*may or may not be stored/);
    }
  });

  it('a fence dropped from the head of the queue did pass it', async () => {
    broker.respondWith(RequestCode.SEND_MESSAGE_V2, () => ({
      code: ResponseCode.SYSTEM_BUSY,
      remark: '[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: 250ms',
    }));
    send('a');
    const [s] = await fence.settle();
    assert.equal(s!.error, undefined);
  });

  it('no answer to the fence in time: not proven, failed as a timeout', async () => {
    broker.hang();
    send('a');
    const [s] = await fence.settle();
    assert.ok(s!.error instanceof RocketMQError);
    assert.equal(s!.error.kind, 'timeout');
    assert.match(s!.error.message, /no proof .* took this oneway message/);
  });

  it('a connection that closed before the fence: failed as a connection error', async () => {
    send('a');
    await broker.close();
    await new Promise<void>((resolve) => (conn.closed ? resolve() : conn.once('close', () => resolve())));
    const [s] = await fence.settle();
    assert.ok(s!.error instanceof RocketMQError);
    assert.equal(s!.error.kind, 'connection');
  });

  it('messages written while a fence is out wait for the next one', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    broker.respondWith(RequestCode.SEND_MESSAGE_V2, async () => {
      await held;
      return { code: INVALID_PARAMETER, remark: TOPIC_REFUSED };
    });
    send('a');
    const first = fence.settle();
    await broker.waitFor(() => broker.requests.some(isFence));
    send('b');
    release();
    assert.deepEqual(
      (await first).map((s) => s.tag),
      ['a'],
    );
    assert.equal(fence.unsettled, 1);
    assert.deepEqual(
      (await fence.settle()).map((s) => [s.tag, s.error]),
      [['b', undefined]],
    );
  });

  it('ignores an answer to an opaque it does not track (a late reply to a timed-out request)', async () => {
    broker.respondWith(RequestCode.SEND_MESSAGE_V2, async () => {
      await broker.sendRaw(dropAnswer(9999));
      return { code: INVALID_PARAMETER, remark: TOPIC_REFUSED };
    });
    send('a');
    const [s] = await fence.settle();
    assert.equal(s!.error, undefined);
  });

  it('settles nothing, and sends no fence, when nothing was sent', async () => {
    assert.deepEqual(await fence.settle(), []);
    assert.equal(broker.requests.length, 0);
  });
});
