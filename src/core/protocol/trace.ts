/**
 * Message-trace records, in the text format the Java client writes to the trace topic
 * (RMQ_SYS_TRACE_TOPIC) and mqadmin / the dashboard read back (docs/protocol.md §10).
 *
 * A trace message body is UTF-8 text: records back to back, fields separated by 0x01, each
 * record ending with 0x02. The first field names the record type:
 *
 *   Pub            \x01 timestamp \x01 regionId \x01 group \x01 topic \x01 msgId \x01 tags \x01 keys
 *                  \x01 storeHost \x01 bodyLength \x01 costTime \x01 msgType \x01 offsetMsgId \x01 success \x02
 *   SubBefore      \x01 timestamp \x01 regionId \x01 group \x01 requestId \x01 msgId \x01 retryTimes \x01 keys \x02
 *   SubAfter       \x01 requestId \x01 msgId \x01 costTime \x01 success \x01 keys \x01 contextCode
 *                  \x01 timestamp \x01 group \x02          (CLOUD access channel: "…contextCode \x01 \x02")
 *   EndTransaction \x01 timestamp \x01 regionId \x01 group \x01 topic \x01 msgId \x01 tags \x01 keys
 *                  \x01 storeHost \x01 msgType \x01 transactionId \x01 state \x01 fromTransactionCheck \x02
 *   Recall         \x01 timestamp \x01 regionId \x01 group \x01 topic \x01 msgId \x01 success \x02
 *
 * timestamp: epoch ms; costTime: whole ms; msgType: MessageType ordinal (Normal_Msg 0,
 * Trans_Msg_Half 1, Trans_msg_Commit 2, Delay_Msg 3, Order_Msg 4); success: true/false;
 * contextCode: ConsumeReturnType ordinal (SUCCESS 0, TIME_OUT 1, EXCEPTION 2, RETURNNULL 3,
 * FAILED 4); state: COMMIT_MESSAGE / ROLLBACK_MESSAGE / UNKNOW. A null string field (a message
 * without tags or keys) is written as the text `null`.
 *
 * The Java reader splits with String.split, which drops trailing empty fields, and picks fields
 * by count: a Pub of 13 fields has success at [12]; 14 fields add offsetMsgId at [12] (success
 * [13]); 15 or more add clientHost at [14]. SubAfter has contextCode from 7 fields and
 * timestamp/group from 9. The decoder here does the same, and skips a record Java would choke on.
 */

export const TRACE_TOPIC_DEFAULT = 'RMQ_SYS_TRACE_TOPIC';
export const TRACE_PRODUCER_GROUP_PREFIX = '_INNER_TRACE_PRODUCER';
export const DEFAULT_REGION = 'DefaultRegion';

const FIELD = '\u0001';
const RECORD = '\u0002';

/** MessageType, by ordinal. */
export const MSG_TYPES = [
  'Normal_Msg',
  'Trans_Msg_Half',
  'Trans_msg_Commit',
  'Delay_Msg',
  'Order_Msg',
] as const;
export type TraceMsgType = (typeof MSG_TYPES)[number];

/** ConsumeReturnType, by ordinal. */
export const CONSUME_RETURN_TYPES = ['SUCCESS', 'TIME_OUT', 'EXCEPTION', 'RETURNNULL', 'FAILED'] as const;
export type ConsumeReturnType = (typeof CONSUME_RETURN_TYPES)[number];

export const TRANSACTION_STATES = ['COMMIT_MESSAGE', 'ROLLBACK_MESSAGE', 'UNKNOW'] as const;
export type TransactionState = (typeof TRANSACTION_STATES)[number];

export interface PubRecord {
  type: 'Pub';
  timestamp: number;
  regionId: string;
  group: string;
  topic: string;
  msgId: string;
  tags: string | null;
  keys: string | null;
  storeHost: string;
  bodyLength: number;
  costTime: number;
  msgType: TraceMsgType;
  offsetMsgId: string | null;
  success: boolean;
  /** Only in records of old clients (15+ fields). */
  clientHost?: string;
}

export interface SubBeforeRecord {
  type: 'SubBefore';
  timestamp: number;
  regionId: string;
  group: string;
  requestId: string;
  msgId: string;
  retryTimes: number;
  keys: string | null;
}

export interface SubAfterRecord {
  type: 'SubAfter';
  requestId: string;
  msgId: string;
  costTime: number;
  success: boolean;
  keys: string | null;
  /** Absent in records of clients before the field existed (fewer than 7 fields). */
  contextCode?: number;
  /** Absent for the CLOUD access channel and old clients. */
  timestamp?: number;
  group?: string;
}

export interface EndTransactionRecord {
  type: 'EndTransaction';
  timestamp: number;
  regionId: string;
  group: string;
  topic: string;
  msgId: string;
  tags: string | null;
  keys: string | null;
  storeHost: string;
  msgType: TraceMsgType;
  transactionId: string | null;
  transactionState: TransactionState;
  fromTransactionCheck: boolean;
}

export interface RecallRecord {
  type: 'Recall';
  timestamp: number;
  regionId: string;
  group: string;
  topic: string;
  msgId: string;
  success: boolean;
}

export type TraceRecord = PubRecord | SubBeforeRecord | SubAfterRecord | EndTransactionRecord | RecallRecord;
export type TraceType = TraceRecord['type'];

const text = (v: string | null | undefined): string => (v === null || v === undefined ? 'null' : v);

/**
 * One record as the Java encoder writes it (fields, 0x01-separated, ending in 0x02).
 * @example encodeTraceRecord({ type: 'SubBefore', timestamp: 1, regionId: 'DefaultRegion', group: 'G', requestId: 'R', msgId: 'M', retryTimes: 0, keys: null })
 */
export function encodeTraceRecord(r: TraceRecord, options: { cloud?: boolean } = {}): string {
  let f: (string | number | boolean)[];
  switch (r.type) {
    case 'Pub':
      f = [
        r.type,
        r.timestamp,
        r.regionId,
        r.group,
        r.topic,
        r.msgId,
        text(r.tags),
        text(r.keys),
        r.storeHost,
        r.bodyLength,
        Math.trunc(r.costTime),
        MSG_TYPES.indexOf(r.msgType),
        text(r.offsetMsgId),
        r.success,
      ];
      break;
    case 'SubBefore':
      f = [r.type, r.timestamp, r.regionId, r.group, r.requestId, r.msgId, r.retryTimes, text(r.keys)];
      break;
    case 'SubAfter': {
      f = [r.type, r.requestId, r.msgId, Math.trunc(r.costTime), r.success, text(r.keys), r.contextCode ?? 0];
      // The CLOUD channel ends the record after contextCode's separator; others add time and group.
      const tail = options.cloud ? '' : `${r.timestamp ?? 0}${FIELD}${text(r.group)}`;
      return `${f.join(FIELD)}${FIELD}${tail}${RECORD}`;
    }
    case 'EndTransaction':
      f = [
        r.type,
        r.timestamp,
        r.regionId,
        r.group,
        r.topic,
        r.msgId,
        text(r.tags),
        text(r.keys),
        r.storeHost,
        MSG_TYPES.indexOf(r.msgType),
        text(r.transactionId),
        r.transactionState,
        r.fromTransactionCheck,
      ];
      break;
    case 'Recall':
      f = [r.type, r.timestamp, r.regionId, r.group, r.topic, r.msgId, r.success];
      break;
  }
  return `${f.join(FIELD)}${RECORD}`;
}

/**
 * The keys a trace message carries (its KEYS property): every record's msgId plus the traced
 * message's own keys, as the Java dispatcher collects them — what lets a key query on the
 * trace topic find a message's records.
 */
export function traceKeys(records: readonly TraceRecord[]): string[] {
  const out = new Set<string>();
  for (const r of records) {
    out.add(r.msgId);
    const keys = 'keys' in r ? r.keys : null;
    if (keys) for (const k of keys.split(' ')) if (k) out.add(k);
  }
  return [...out];
}

/** Java String.split(sep): trailing empty strings are removed. */
function javaSplit(s: string, sep: string): string[] {
  const parts = s.split(sep);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

const nullable = (v: string | undefined): string | null => (v === undefined || v === 'null' ? null : v);

/** Java Long.parseLong / Integer.parseInt: decimal digits only, or the record is invalid. */
function int(v: string | undefined): number {
  if (v === undefined || !/^[+-]?\d+$/.test(v)) throw new Error(`not an integer: ${v}`);
  return Number(v);
}

/** Java Boolean.parseBoolean: "true" in any case; anything else is false. */
const bool = (v: string | undefined): boolean => v?.toLowerCase() === 'true';

function msgType(v: string | undefined): TraceMsgType {
  const t = MSG_TYPES[int(v)];
  if (!t) throw new Error(`unknown message type ${v}`);
  return t;
}

function txState(v: string | undefined): TransactionState {
  if (!(TRANSACTION_STATES as readonly string[]).includes(v ?? '')) throw new Error(`unknown state ${v}`);
  return v as TransactionState;
}

function need(line: string[], n: number): void {
  if (line.length < n) throw new Error(`${line[0]} record has ${line.length} fields, needs ${n}`);
}

function decodeLine(line: string[]): TraceRecord | undefined {
  switch (line[0]) {
    case 'Pub': {
      need(line, 13);
      const r: PubRecord = {
        type: 'Pub',
        timestamp: int(line[1]),
        regionId: line[2] ?? '',
        group: line[3] ?? '',
        topic: line[4] ?? '',
        msgId: line[5] ?? '',
        tags: nullable(line[6]),
        keys: nullable(line[7]),
        storeHost: line[8] ?? '',
        bodyLength: int(line[9]),
        costTime: int(line[10]),
        msgType: msgType(line[11]),
        offsetMsgId: null,
        success: false,
      };
      if (line.length === 13) r.success = bool(line[12]);
      else {
        r.offsetMsgId = nullable(line[12]);
        r.success = bool(line[13]);
      }
      if (line.length >= 15) r.clientHost = line[14] ?? '';
      return r;
    }
    case 'SubBefore':
      need(line, 8);
      return {
        type: 'SubBefore',
        timestamp: int(line[1]),
        regionId: line[2] ?? '',
        group: line[3] ?? '',
        requestId: line[4] ?? '',
        msgId: line[5] ?? '',
        retryTimes: int(line[6]),
        keys: nullable(line[7]),
      };
    case 'SubAfter': {
      need(line, 6);
      const r: SubAfterRecord = {
        type: 'SubAfter',
        requestId: line[1] ?? '',
        msgId: line[2] ?? '',
        costTime: int(line[3]),
        success: bool(line[4]),
        keys: nullable(line[5]),
      };
      if (line.length >= 7) r.contextCode = int(line[6]);
      if (line.length >= 9) {
        r.timestamp = int(line[7]);
        r.group = line[8] ?? '';
      }
      return r;
    }
    case 'EndTransaction':
      need(line, 13);
      return {
        type: 'EndTransaction',
        timestamp: int(line[1]),
        regionId: line[2] ?? '',
        group: line[3] ?? '',
        topic: line[4] ?? '',
        msgId: line[5] ?? '',
        tags: nullable(line[6]),
        keys: nullable(line[7]),
        storeHost: line[8] ?? '',
        msgType: msgType(line[9]),
        transactionId: nullable(line[10]),
        transactionState: txState(line[11]),
        fromTransactionCheck: bool(line[12]),
      };
    case 'Recall':
      need(line, 7);
      return {
        type: 'Recall',
        timestamp: int(line[1]),
        regionId: line[2] ?? '',
        group: line[3] ?? '',
        topic: line[4] ?? '',
        msgId: line[5] ?? '',
        success: bool(line[6]),
      };
    default:
      return undefined; // an unknown type: Java ignores it too
  }
}

export interface DecodedTraceData {
  records: TraceRecord[];
  /** Records that could not be decoded (Java would throw on them and lose the whole message). */
  malformed: number;
}

/**
 * Decodes a trace message body into its records.
 * @example decodeTraceData('SubBefore\x011\x01DefaultRegion\x01G\x01R\x01M\x010\x01null\x02').records[0].group === 'G'
 */
export function decodeTraceData(data: string): DecodedTraceData {
  const records: TraceRecord[] = [];
  let malformed = 0;
  if (!data) return { records, malformed };
  for (const context of javaSplit(data, RECORD)) {
    const line = javaSplit(context, FIELD);
    if (line.length === 0) continue;
    try {
      const r = decodeLine(line);
      if (r) records.push(r);
    } catch {
      malformed++;
    }
  }
  return { records, malformed };
}
