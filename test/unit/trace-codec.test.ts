/**
 * Trace records against the Java client's own encoder. The JAVA strings below were printed by
 * org.apache.rocketmq.client.trace.TraceDataEncoder#encoderFromContextBean (rocketmq-client
 * 5.3.3, run against the cached jars) for the contexts described next to each; `keys` is the
 * TraceTransferBean's transKey set. \u0001 separates fields, \u0002 ends a record.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeTraceData,
  encodeTraceRecord,
  type PubRecord,
  type SubAfterRecord,
  type SubBeforeRecord,
  type TraceRecord,
  traceKeys,
} from '../../src/core/protocol/trace.js';

const JAVA = {
  pub: 'Pub\u00011763773844676\u0001DefaultRegion\u0001PG\u0001orders\u0001C00002023A81B4668CE56C6650C40000\u0001TagA\u0001k1 k2\u0001127.0.0.1:10911\u00015\u00019\u00010\u00017F000001000078BF00000000861A488F\u0001true\u0002',
  pubNull:
    'Pub\u00011763773844000\u0001DefaultRegion\u0001PG\u0001orders\u0001C00002023A81B4668CE56C6650C40001\u0001null\u0001null\u0001127.0.0.1:10911\u00010\u00013\u00013\u0001null\u0001false\u0002',
  // One SubBefore context with two beans (a batch of two messages), one request id.
  subBefore:
    'SubBefore\u00011763773846645\u0001DefaultRegion\u0001CG\u0001REQ1\u0001M1\u00010\u0001k1\u0002SubBefore\u00011763773846645\u0001DefaultRegion\u0001CG\u0001REQ1\u0001M2\u00013\u0001null\u0002',
  subAfter: 'SubAfter\u0001REQ1\u0001M1\u00011\u0001false\u0001k1\u00014\u00011763773846646\u0001CG\u0002',
  subAfterCloud: 'SubAfter\u0001REQ1\u0001M1\u00012\u0001true\u0001k1\u00010\u0001\u0002',
  endTransaction:
    'EndTransaction\u00011763773844700\u0001DefaultRegion\u0001PG\u0001orders\u0001M3\u0001T\u0001k3\u0001127.0.0.1:10911\u00012\u0001M3\u0001ROLLBACK_MESSAGE\u0001true\u0002',
  recall: 'Recall\u00011763773844800\u0001DefaultRegion\u0001PG\u0001orders\u0001M4\u0001true\u0002',
};

const pub: PubRecord = {
  type: 'Pub',
  timestamp: 1763773844676,
  regionId: 'DefaultRegion',
  group: 'PG',
  topic: 'orders',
  msgId: 'C00002023A81B4668CE56C6650C40000',
  tags: 'TagA',
  keys: 'k1 k2',
  storeHost: '127.0.0.1:10911',
  bodyLength: 5,
  costTime: 9,
  msgType: 'Normal_Msg',
  offsetMsgId: '7F000001000078BF00000000861A488F',
  success: true,
};

const subBefore = (msgId: string, retryTimes: number, keys: string | null): SubBeforeRecord => ({
  type: 'SubBefore',
  timestamp: 1763773846645,
  regionId: 'DefaultRegion',
  group: 'CG',
  requestId: 'REQ1',
  msgId,
  retryTimes,
  keys,
});

const subAfter: SubAfterRecord = {
  type: 'SubAfter',
  requestId: 'REQ1',
  msgId: 'M1',
  costTime: 1,
  success: false,
  keys: 'k1',
  contextCode: 4,
  timestamp: 1763773846646,
  group: 'CG',
};

describe('trace codec: encoding matches the Java encoder byte for byte', () => {
  test('Pub', () => assert.equal(encodeTraceRecord(pub), JAVA.pub));

  test('Pub without tags, keys or offset id writes the text null', () => {
    const r: PubRecord = {
      ...pub,
      timestamp: 1763773844000,
      msgId: 'C00002023A81B4668CE56C6650C40001',
      tags: null,
      keys: null,
      bodyLength: 0,
      costTime: 3,
      msgType: 'Delay_Msg',
      offsetMsgId: null,
      success: false,
    };
    assert.equal(encodeTraceRecord(r), JAVA.pubNull);
  });

  test('SubBefore (one record per message of a batch)', () => {
    assert.equal(
      encodeTraceRecord(subBefore('M1', 0, 'k1')) + encodeTraceRecord(subBefore('M2', 3, null)),
      JAVA.subBefore,
    );
  });

  test('SubAfter, and SubAfter of the CLOUD access channel', () => {
    assert.equal(encodeTraceRecord(subAfter), JAVA.subAfter);
    assert.equal(
      encodeTraceRecord({ ...subAfter, costTime: 2, success: true, contextCode: 0 }, { cloud: true }),
      JAVA.subAfterCloud,
    );
  });

  test('EndTransaction and Recall', () => {
    assert.equal(
      encodeTraceRecord({
        type: 'EndTransaction',
        timestamp: 1763773844700,
        regionId: 'DefaultRegion',
        group: 'PG',
        topic: 'orders',
        msgId: 'M3',
        tags: 'T',
        keys: 'k3',
        storeHost: '127.0.0.1:10911',
        msgType: 'Trans_msg_Commit',
        transactionId: 'M3',
        transactionState: 'ROLLBACK_MESSAGE',
        fromTransactionCheck: true,
      }),
      JAVA.endTransaction,
    );
    assert.equal(
      encodeTraceRecord({
        type: 'Recall',
        timestamp: 1763773844800,
        regionId: 'DefaultRegion',
        group: 'PG',
        topic: 'orders',
        msgId: 'M4',
        success: true,
      }),
      JAVA.recall,
    );
  });

  test('keys: every msgId plus the messages own keys, as the Java transKey set', () => {
    assert.deepEqual(new Set(traceKeys([pub])), new Set(['k1', 'k2', 'C00002023A81B4668CE56C6650C40000']));
    assert.deepEqual(
      new Set(traceKeys([subBefore('M1', 0, 'k1'), subBefore('M2', 3, null)])),
      new Set(['M1', 'M2', 'k1']),
    );
  });
});

describe('trace codec: decoding what Java writes', () => {
  test('every record type round-trips', () => {
    const all = Object.values(JAVA).join('');
    const { records, malformed } = decodeTraceData(all);
    assert.equal(malformed, 0);
    assert.deepEqual(
      records.map((r) => r.type),
      ['Pub', 'Pub', 'SubBefore', 'SubBefore', 'SubAfter', 'SubAfter', 'EndTransaction', 'Recall'],
    );
    assert.deepEqual(records[0], pub);
    assert.deepEqual(records[2], subBefore('M1', 0, 'k1'));
    assert.deepEqual(records[3], subBefore('M2', 3, null));
    assert.deepEqual(records[4], subAfter);
    const p = records[1] as PubRecord;
    assert.equal(p.tags, null);
    assert.equal(p.offsetMsgId, null);
    assert.equal(p.msgType, 'Delay_Msg');
    assert.equal(p.success, false);
  });

  test('CLOUD SubAfter: split drops the trailing empty field, so no time or group (7 fields)', () => {
    const [r] = decodeTraceData(JAVA.subAfterCloud).records as SubAfterRecord[];
    assert.equal(r!.contextCode, 0);
    assert.equal(r!.timestamp, undefined);
    assert.equal(r!.group, undefined);
  });

  test('old clients: a 13-field Pub has success at [12] and no offset id', () => {
    const old =
      'Pub\u00011\u0001R\u0001G\u0001T\u0001M\u0001t\u0001k\u0001h:1\u00012\u00013\u00010\u0001true\u0002';
    const [r] = decodeTraceData(old).records as PubRecord[];
    assert.equal(r!.success, true);
    assert.equal(r!.offsetMsgId, null);
  });

  test('15+ field Pub: the client host follows success', () => {
    const v = JAVA.pub.replace(/\u0002$/, '\u000110.0.0.9\u0002');
    const [r] = decodeTraceData(v).records as PubRecord[];
    assert.equal(r!.clientHost, '10.0.0.9');
    assert.equal(r!.success, true);
  });

  test('6-field SubAfter (before contextCode existed) decodes without it', () => {
    const [r] = decodeTraceData('SubAfter\u0001R\u0001M\u00015\u0001true\u0001k\u0002')
      .records as SubAfterRecord[];
    assert.equal(r!.contextCode, undefined);
    assert.equal(r!.costTime, 5);
  });

  test('a trailing empty field (empty tags is fine in the middle, fatal at the end)', () => {
    // Empty tags mid-record are kept; a SubBefore with empty keys loses its last field.
    const mid = JAVA.pub.replace('\u0001TagA\u0001', '\u0001\u0001');
    assert.equal((decodeTraceData(mid).records[0] as PubRecord).tags, '');
    const bad = 'SubBefore\u00011\u0001R\u0001G\u0001Q\u0001M\u00010\u0001\u0002';
    assert.deepEqual(decodeTraceData(bad), { records: [], malformed: 1 });
  });

  test('garbage and unknown types are skipped, not fatal', () => {
    const data = `Nope\u00011\u0002Pub\u0001x\u0002${JAVA.recall}\u0002\u0002`;
    const { records, malformed } = decodeTraceData(data);
    assert.equal(malformed, 1);
    assert.deepEqual(
      records.map((r: TraceRecord) => r.type),
      ['Recall'],
    );
  });

  test('encode → decode is the identity for records the dispatcher writes', () => {
    const rs: TraceRecord[] = [pub, subBefore('M9', 2, 'a b'), subAfter];
    assert.deepEqual(decodeTraceData(rs.map((r) => encodeTraceRecord(r)).join('')).records, rs);
  });
});
