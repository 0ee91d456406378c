/**
 * What a oneway sender can know about its messages, learned from the broker's own behaviour
 * (RocketMQ 4.9 and 5.x, NettyRemotingAbstract, RequestTask, BrokerFastFailure):
 *
 * - A broker that takes a oneway send never answers it.
 * - A broker that drops one from its send queue answers it after all, with SYSTEM_BUSY: the fast
 *   failure sweep (every 10 ms) throws out whatever waited there over waitTimeMillsInSendQueue
 *   (200 ms) — or everything, while its page cache is busy — and writes the answer for oneway
 *   requests too ("[TIMEOUT_CLEAN_QUEUE]…", "[PCBUSY_CLEAN_QUEUE]…").
 * - A broker refusing requests before they reach the queue (flow control: "[REJECTREQUEST]",
 *   "[OVERLOAD]" when the queue is full) answers a oneway request on 4.9 (REJECTREQUEST) or not at
 *   all (5.x), and a store that fails to write one (disk full) never says so.
 *
 * So a fence: a request through the same send queue, behind the oneway messages on their
 * connection. The queue is first in, first out, so its answer proves every earlier message left
 * the queue — taken by a send thread, or thrown out with an answer that the broker wrote (to the
 * same connection) before it got to the fence. A message with no answer by then was taken. The fence
 * is a SEND_MESSAGE_V2 that the broker's first check refuses (a topic name with a character no
 * topic may have): it travels the send path, stores nothing, and the broker logs nothing for it.
 * The fence's own answer tells what it met on the way:
 *
 * - passed through the queue (the topic check's refusal, an ACL refusal, or a drop from the
 *   queue's head): the messages before it without an answer were taken;
 * - refused before the queue (flow control, a broker shutting down): the broker was refusing
 *   requests, which a oneway message meets without a word — those messages may or may not be
 *   stored, and are reported as failed, as a timed-out sync send is;
 * - no answer in time, or the connection closed: nothing is proven either way, also failed.
 *
 * One race inside the broker: its sweep takes a request out of the queue and then writes the
 * answer; a sweep thread paused in between while a send thread takes and answers the fence has its
 * answer come after the fence's. On a loaded 2-core box that happened to 1 of ~7,000 drops (a
 * message reported taken and not stored). So a fence that passed is followed by a second one, and
 * answers are gathered until that one's comes back: the paused sweep thread has a whole trip through
 * the queue — longer the busier the broker — to write its answer.
 *
 * What it cannot see: a refusal before the queue, or a store failure, between two fences that is
 * over by the time the fence comes; a sweep thread paused longer than the second fence's trip.
 */
import { BrokerResponseError, ConnectionClosedError, RocketMQError } from '../errors.js';
import { sendHeaderV2 } from '../protocol/send-message.js';
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import type { RemotingCommand } from '../remoting/command.js';
import type { Connection } from '../remoting/connection.js';
import type { OnewaySent } from './remoting-client.js';

/** Illegal as a topic name ('.' is outside [%|a-zA-Z0-9_-]): the broker refuses it at once. */
export const FENCE_TOPIC = 'rmq.oneway.fence';

/** Answers written before a request reaches the send queue: the fence proves nothing then. */
function refusedBeforeQueue(res: RemotingCommand): boolean {
  if (res.code === ResponseCode.GO_AWAY) return true;
  return res.code === ResponseCode.SYSTEM_BUSY && /^\[(REJECTREQUEST|OVERLOAD)\]/.test(res.remark ?? '');
}

interface Tracked<T> {
  tag: T;
  /** The broker's answer to this oneway request: it dropped it. */
  answer?: RemotingCommand;
}

interface Wire<T> {
  /** Unsettled messages by opaque. */
  messages: Map<number, Tracked<T>>;
  onStray: (frame: RemotingCommand) => void;
}

export interface OnewaySettled<T> {
  tag: T;
  /** Undefined: the broker's send thread took it. Else why it is not known to be stored. */
  error: Error | undefined;
}

export class OnewayFence<T> {
  private readonly wires = new Map<Connection, Wire<T>>();

  constructor(
    private readonly group: string,
    private readonly timeoutMs: number,
  ) {}

  /** Notes a oneway message on the wire; `tag` comes back from settle(). */
  track(sent: OnewaySent, tag: T): void {
    let wire = this.wires.get(sent.connection);
    if (!wire) {
      const messages = new Map<number, Tracked<T>>();
      const onStray = (frame: RemotingCommand): void => {
        const m = messages.get(frame.opaque);
        if (m) m.answer ??= frame;
      };
      wire = { messages, onStray };
      sent.connection.on('stray', onStray);
      this.wires.set(sent.connection, wire);
    }
    wire.messages.set(sent.opaque, { tag });
  }

  /** Messages tracked and not settled yet. */
  get unsettled(): number {
    let n = 0;
    for (const w of this.wires.values()) n += w.messages.size;
    return n;
  }

  /**
   * Fences every connection that carried a message tracked so far, and says of each such message
   * whether the broker took it. Messages tracked meanwhile wait for the next settle().
   */
  async settle(): Promise<OnewaySettled<T>[]> {
    const rounds = [...this.wires].map(async ([conn, wire]) => {
      const batch = [...wire.messages];
      if (batch.length === 0) return [];
      let doubt: Error | undefined;
      try {
        const res = await this.fence(conn);
        if (refusedBeforeQueue(res)) {
          doubt = new RocketMQError(
            'broker',
            `${conn.address} was refusing requests (${res.remark ?? `code ${res.code}`}) while this oneway message was on its way: it may or may not be stored`,
          );
        } else {
          // Time for a drop answer written late (the race above); its own outcome proves nothing more.
          await this.fence(conn).catch(() => undefined);
        }
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        doubt =
          err instanceof RocketMQError
            ? new RocketMQError(err.kind, `no proof ${conn.address} took this oneway message: ${why}`, {
                cause: err,
              })
            : (err as Error);
      }
      const out: OnewaySettled<T>[] = [];
      for (const [opaque, m] of batch) {
        wire.messages.delete(opaque);
        const error = m.answer
          ? new BrokerResponseError(m.answer.code, m.answer.remark, conn.address)
          : doubt;
        out.push({ tag: m.tag, error });
      }
      if (conn.closed && wire.messages.size === 0) {
        conn.off('stray', wire.onStray);
        this.wires.delete(conn);
      }
      return out;
    });
    return (await Promise.all(rounds)).flat();
  }

  /** Stops listening for answers. */
  close(): void {
    for (const [conn, wire] of this.wires) conn.off('stray', wire.onStray);
    this.wires.clear();
  }

  private fence(conn: Connection): Promise<RemotingCommand> {
    if (conn.closed) {
      return Promise.reject(
        new ConnectionClosedError(conn.address, `connection to ${conn.address} closed before a fence`),
      );
    }
    const ext = sendHeaderV2({
      producerGroup: this.group,
      topic: FENCE_TOPIC,
      queueId: 0,
      sysFlag: 0,
      bornTimestamp: Date.now(),
      flag: 0,
      properties: '',
    });
    // A body of one byte: the broker reads the body's length before it checks the topic.
    return conn.request(RequestCode.SEND_MESSAGE_V2, ext, { timeoutMs: this.timeoutMs, body: FENCE_BODY });
  }
}

const FENCE_BODY = Buffer.from('.');
