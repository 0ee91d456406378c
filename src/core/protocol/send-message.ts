/**
 * SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320): the request header, its JSON text written
 * per queue, and the response header (Java: SendMessageRequestHeaderV2, SendMessageResponseHeader).
 *
 * Request extFields, single-letter keys (the V2 header exists to keep every send's header short):
 *   a producerGroup string | b topic string | c defaultTopic "TBW102" | d defaultTopicQueueNums "4"
 *   | e queueId int | f sysFlag int (message sysFlag: compression, transaction bits)
 *   | g bornTimestamp int64 ms | h flag int | i properties string (name 0x01 value 0x02 …)
 *   | j reconsumeTimes int | k unitMode bool | l maxReconsumeTimes int (optional)
 *   | m batch bool (SEND_BATCH_MESSAGE only: the broker tells batch from single by it)
 *   | n brokerName string (5.x; 4.9 ignores keys it does not know)
 * Body: the message body (possibly compressed), or a batch body (encodeBatchBody in message.ts).
 *
 * Response: SUCCESS or, stored but not as asked, FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT,
 * SLAVE_NOT_AVAILABLE (SEND_ACCEPT); extFields msgId string (offset message id; comma-separated
 * for a batch) | queueId int | queueOffset int64 | transactionId string (optional) | MSG_REGION
 * string and TRACE_ON bool, which the broker adds (4.9 and 5.x) | recallHandle string (5.3.2+, a
 * timer message only: what RECALL_MESSAGE takes to cancel it before it is due).
 */
import { ResponseCode } from '../remoting/codes.js';
import type { JsonWriter, RemotingCommand } from '../remoting/command.js';
import {
  jsonStringMaxBytes,
  NUMBER_MAX_BYTES,
  writeJsonString,
  writeNumber,
} from '../remoting/json-bytes.js';

/** Send replies that are not errors: the message is stored (the last three: not as durably as asked). */
export const SEND_ACCEPT: readonly number[] = [
  ResponseCode.SUCCESS,
  ResponseCode.FLUSH_DISK_TIMEOUT,
  ResponseCode.SLAVE_NOT_AVAILABLE,
  ResponseCode.FLUSH_SLAVE_TIMEOUT,
];

/** The response header of an accepted send (absent fields undefined). */
export interface SendResponseHeader {
  /** Offset message id; for a batch, one per message, comma-separated. */
  msgId: string | undefined;
  queueId: number | undefined;
  queueOffset: number | undefined;
  transactionId: string | undefined;
  region: string | undefined;
  /** Whether the broker has message tracing on (absent: on). */
  traceOn: boolean;
  recallHandle: string | undefined;
}

const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

export function readSendResponse(res: RemotingCommand): SendResponseHeader {
  const ext = res.extFields;
  return {
    msgId: ext.msgId,
    queueId: num(ext.queueId),
    queueOffset: num(ext.queueOffset),
    transactionId: ext.transactionId,
    region: ext.MSG_REGION,
    traceOn: ext.TRACE_ON !== 'false',
    recallHandle: ext.recallHandle,
  };
}

/** SEND_MESSAGE_V2 header fields (short keys a…n, docs/protocol.md §4.1). */
export interface SendHeader {
  producerGroup: string;
  topic: string;
  queueId: number;
  sysFlag: number;
  bornTimestamp: number;
  flag: number;
  properties: string;
  reconsumeTimes?: number;
  maxReconsumeTimes?: number;
  batch?: boolean;
  brokerName?: string;
}

export function sendHeaderV2(h: SendHeader): Record<string, string> {
  const ext: Record<string, string> = {
    a: h.producerGroup,
    b: h.topic,
    c: 'TBW102',
    d: '4',
    e: String(h.queueId),
    f: String(h.sysFlag),
    g: String(h.bornTimestamp),
    h: String(h.flag),
    i: h.properties,
    j: String(h.reconsumeTimes ?? 0),
    k: 'false',
  };
  if (h.maxReconsumeTimes !== undefined) ext.l = String(h.maxReconsumeTimes);
  if (h.batch) ext.m = 'true';
  if (h.brokerName) ext.n = h.brokerName;
  return ext;
}

/**
 * JSON.stringify(sendHeaderV2(…)) of one queue's plain sends (flag 0, first attempt, no batch),
 * with what does not change between messages kept as bytes: only the timestamp and the
 * properties are written per message, straight into the frame (SendHeaderText).
 * JSON.stringify of the whole header was the largest single cost of a send.
 */
export class SendHeaderJson {
  private topic: string | undefined;
  private sysFlag = -1;
  private head: Buffer = Buffer.alloc(0);
  private tail: Buffer = Buffer.alloc(0);

  constructor(
    private readonly producerGroup: string,
    private readonly queueId: number,
    private readonly brokerName: string,
  ) {}

  /** The header of one message, to hand to the frame encoder as RemotingCommand.extJson. */
  text(topic: string, sysFlag: number, bornTimestamp: number, properties: string): SendHeaderText {
    if (topic !== this.topic || sysFlag !== this.sysFlag) {
      const text = JSON.stringify(
        sendHeaderV2({
          producerGroup: this.producerGroup,
          topic,
          queueId: this.queueId,
          sysFlag,
          bornTimestamp: 0,
          flag: 0,
          properties: '',
          brokerName: this.brokerName,
        }),
      );
      // Quotes inside values are escaped, so these markers can only be the fields themselves.
      this.head = Buffer.from(text.slice(0, text.indexOf('"g":"0"') + 5), 'utf8');
      this.tail = Buffer.from(text.slice(text.indexOf(',"j":')), 'utf8');
      this.topic = topic;
      this.sysFlag = sysFlag;
    }
    return new SendHeaderText(this.head, bornTimestamp, properties, this.tail);
  }

  /** The same header as a string. */
  render(topic: string, sysFlag: number, bornTimestamp: number, properties: string): string {
    return this.text(topic, sysFlag, bornTimestamp, properties).toString();
  }
}

const G_TO_I = Buffer.from('","h":"0","i":', 'latin1');

/** One message's SEND_MESSAGE_V2 header JSON: the queue's constant bytes around two fields. */
export class SendHeaderText implements JsonWriter {
  constructor(
    private readonly head: Buffer,
    private readonly bornTimestamp: number,
    private readonly properties: string,
    private readonly tail: Buffer,
  ) {}

  get maxBytes(): number {
    return (
      this.head.length +
      NUMBER_MAX_BYTES +
      G_TO_I.length +
      jsonStringMaxBytes(this.properties) +
      this.tail.length
    );
  }

  writeTo(buf: Buffer, pos: number): number {
    buf.set(this.head, pos);
    pos = writeNumber(buf, pos + this.head.length, this.bornTimestamp);
    buf.set(G_TO_I, pos);
    pos = writeJsonString(buf, pos + G_TO_I.length, this.properties);
    buf.set(this.tail, pos);
    return pos + this.tail.length;
  }

  toString(): string {
    const buf = Buffer.allocUnsafe(this.maxBytes);
    return buf.toString('utf8', 0, this.writeTo(buf, 0));
  }
}
