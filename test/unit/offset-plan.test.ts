/**
 * Offset plans without a broker: clamping, what a move replays or skips, where each target
 * points, and the plan file (--export / --from-file) as hostile input: budgets, one error line
 * naming the row, and the round trip of what --export writes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  decodeResetOffsetBody,
  resetByTimestampHeader,
  resetQueueOffsetHeader,
} from '../../src/core/protocol/reset-offset.js';
import {
  clampOffset,
  formatPlanFile,
  type OffsetPlanRow,
  PLAN_FILE_MAX_BYTES,
  PLAN_FILE_MAX_ROWS,
  parsePlanFile,
  planFileFormat,
  planRow,
  type QueueRange,
  requestedOffset,
  summarize,
} from '../../src/services/offset-plan.js';

const q = (over: Partial<QueueRange> = {}): QueueRange => ({
  topic: 'T',
  brokerName: 'broker-a',
  queueId: 0,
  minOffset: 10,
  maxOffset: 100,
  currentOffset: 50,
  ...over,
});

/** The error a parse throws, asserted to be one line of the usage kind. */
function parseError(text: string, format: 'csv' | 'json'): string {
  try {
    parsePlanFile(text, format, 'plan.x');
  } catch (err) {
    assert.ok(err instanceof InvalidArgumentError, String(err));
    assert.equal(err.message.split('\n').length, 1, err.message);
    return err.message;
  }
  assert.fail(`parsed: ${text.slice(0, 80)}`);
}

describe('plan arithmetic', () => {
  it('clamps to [min, max] and says which end', () => {
    assert.deepEqual(clampOffset(5, 10, 100), { offset: 10, clamped: 'min' });
    assert.deepEqual(clampOffset(101, 10, 100), { offset: 100, clamped: 'max' });
    assert.deepEqual(clampOffset(10, 10, 100), { offset: 10, clamped: null });
    assert.deepEqual(clampOffset(100, 10, 100), { offset: 100, clamped: null });
  });

  it('a move back replays (+), a move forward skips (−), counting only messages still held', () => {
    assert.equal(planRow(q(), 20).change, 30);
    assert.equal(planRow(q(), 80).change, -30);
    // Committed at 3 but the queue starts at 10: moving to 40 skips 30 messages, not 37.
    assert.equal(planRow(q({ currentOffset: 3 }), 40).change, -30);
    assert.equal(planRow(q({ currentOffset: null }), 40).change, null);
    const r = planRow(q(), 1000);
    assert.equal(r.newOffset, 100);
    assert.equal(r.requestedOffset, 1000);
    assert.equal(r.clamped, 'max');
    assert.equal(r.change, -50);
  });

  it('where each target points', () => {
    assert.equal(requestedOffset({ kind: 'first' }, q()), 10);
    assert.equal(requestedOffset({ kind: 'last' }, q()), 100);
    assert.equal(requestedOffset({ kind: 'offset', offset: 7 }, q()), 7);
    assert.equal(requestedOffset({ kind: 'shift', by: -60 }, q()), -10);
    assert.equal(planRow(q(), requestedOffset({ kind: 'shift', by: -60 }, q())!).newOffset, 10);
    assert.equal(requestedOffset({ kind: 'shift', by: 5 }, q({ currentOffset: null })), 15);
    assert.equal(requestedOffset({ kind: 'time', ms: 1 }, q(), 42), 42);
    const file = {
      kind: 'file' as const,
      path: 'p.csv',
      rows: [{ row: 2, topic: 'T', brokerName: 'broker-a', queueId: 1, offset: 33 }],
    };
    assert.equal(requestedOffset(file, q({ queueId: 1 })), 33);
    assert.equal(requestedOffset(file, q({ queueId: 0 })), undefined);
  });

  it('summary: replayed and skipped summed apart, unchanged and clamped counted', () => {
    const rows = [
      planRow(q(), 20),
      planRow(q({ queueId: 1 }), 80),
      planRow(q({ queueId: 2 }), 50),
      planRow(q({ queueId: 3 }), 0),
    ];
    assert.deepEqual(summarize(rows), { queues: 4, changed: 3, replayed: 30 + 40, skipped: 30, clamped: 1 });
  });
});

describe('plan files', () => {
  const rows: OffsetPlanRow[] = [planRow(q(), 20), planRow(q({ queueId: 1, currentOffset: null }), 99)];

  it('what --export writes, --from-file reads back (CSV and JSON)', () => {
    for (const format of ['csv', 'json'] as const) {
      const text = formatPlanFile(rows, format, { group: 'G', queues: rows });
      const back = parsePlanFile(text, format);
      assert.deepEqual(
        back.map((r) => [r.topic, r.brokerName, r.queueId, r.offset]),
        [
          ['T', 'broker-a', 0, 20],
          ['T', 'broker-a', 1, 99],
        ],
        format,
      );
    }
    assert.equal(
      formatPlanFile(rows, 'csv').split('\n')[0],
      'topic,broker,queue,offset,current,min,max,change',
    );
    assert.match(formatPlanFile(rows, 'csv'), /^T,broker-a,1,99,,10,100,$/m);
  });

  it('format by extension; anything else exits 2', () => {
    assert.equal(planFileFormat('/x/PLAN.CSV'), 'csv');
    assert.equal(planFileFormat('p.json'), 'json');
    assert.throws(() => planFileFormat('p.txt'), InvalidArgumentError);
  });

  it('CSV: column order free, comments and blank lines skipped, CRLF accepted', () => {
    const r = parsePlanFile('# plan\r\nqueue,offset,broker,topic\r\n\r\n3,7,broker-b,T2\r\n', 'csv');
    assert.deepEqual(r, [{ row: 4, topic: 'T2', brokerName: 'broker-b', queueId: 3, offset: 7 }]);
  });

  it('a bad CSV row: one line naming the row', () => {
    const head = 'topic,broker,queue,offset\n';
    assert.match(parseError(`${head}T,b,0,5\nT,b,x,5\n`, 'csv'), /row 3: queue "x" is not an integer/);
    assert.match(parseError(`${head}T,b,0,-5\n`, 'csv'), /row 2: offset "-5"/);
    assert.match(parseError(`${head}T,b,0,5.5\n`, 'csv'), /row 2: offset/);
    assert.match(parseError(`${head}T,b,0\n`, 'csv'), /row 2: 3 fields, the header has 4/);
    assert.match(parseError(`${head}T,b,0,5\nT,b,0,6\n`, 'csv'), /row 3: queue T\/b\/0 is listed twice/);
    assert.match(parseError(`${head}T!,b,0,5\n`, 'csv'), /row 2: "T!" is not a topic name/);
    assert.match(parseError(`${head}T,"b",0,5\n`, 'csv'), /row 2: .* is not a broker name/);
    assert.match(parseError(`${head}T,b,70000,5\n`, 'csv'), /row 2: queue "70000"/);
    assert.match(parseError(`${head}T,b,0,99999999999999999\n`, 'csv'), /row 2: offset/);
    assert.match(parseError('topic,broker,queue,offset,colour\n', 'csv'), /row 1: unknown column "colour"/);
    assert.match(parseError('topic,broker,queue\n', 'csv'), /row 1: the header lacks offset/);
    assert.match(parseError(`topic,broker,queue,offset,min\nT,b,0,5,abc\n`, 'csv'), /row 2: min "abc"/);
    assert.match(parseError(head, 'csv'), /lists no queue/);
    assert.match(parseError('', 'csv'), /is empty/);
  });

  it('a bad JSON entry: one line naming the entry', () => {
    assert.match(
      parseError(
        '{"queues":[{"topic":"T","brokerName":"b","queueId":0,"newOffset":1},{"topic":"T"}]}',
        'json',
      ),
      /row 2: brokerName is not a string/,
    );
    assert.match(
      parseError('[{"topic":"T","brokerName":"b","queueId":"0","newOffset":1}]', 'json'),
      /row 1: queueId "0"/,
    );
    assert.match(
      parseError('[{"topic":"T","brokerName":"b","queueId":0,"newOffset":-1}]', 'json'),
      /row 1: newOffset -1/,
    );
    assert.match(
      parseError('[{"topic":"T","brokerName":"b","queueId":0}]', 'json'),
      /row 1: newOffset missing/,
    );
    assert.match(parseError('[7]', 'json'), /row 1: is not an object/);
    assert.match(parseError('{"queues":{}}', 'json'), /neither a list/);
    assert.match(parseError('{"queues":[', 'json'), /is not JSON/);
  });

  it('budgets: bytes and rows', () => {
    const big = `topic,broker,queue,offset\n${'#'.repeat(PLAN_FILE_MAX_BYTES)}\n`;
    assert.match(parseError(big, 'csv'), /over 1048576 bytes/);
    const many = ['topic,broker,queue,offset'];
    for (let i = 0; i <= PLAN_FILE_MAX_ROWS; i++)
      many.push(`T${Math.floor(i / 60000)},b${Math.floor(i / 65000)},${i % 60000},1`);
    assert.match(
      parseError(many.join('\n'), 'csv'),
      new RegExp(`row ${PLAN_FILE_MAX_ROWS + 2}: more than ${PLAN_FILE_MAX_ROWS} rows`),
    );
    const json = JSON.stringify(Array.from({ length: PLAN_FILE_MAX_ROWS + 1 }, () => ({})));
    assert.match(parseError(json, 'json'), /more than 20000 rows/);
  });
});

describe('INVOKE_BROKER_TO_RESET_OFFSET (222)', () => {
  it('one queue to an exact offset, or every queue by time', () => {
    assert.deepEqual(resetQueueOffsetHeader({ group: 'G', topic: 'T', queueId: 3, offset: 42 }), {
      group: 'G',
      topic: 'T',
      queueId: '3',
      offset: '42',
      timestamp: '0',
      isForce: 'true',
    });
    assert.deepEqual(resetByTimestampHeader({ group: 'G', topic: 'T', timestampMs: -1 }), {
      group: 'G',
      topic: 'T',
      timestamp: '-1',
      isForce: 'true',
    });
  });

  it('reads the ResetOffsetBody fastjson writes (object keys); refuses what is not one', () => {
    const body = Buffer.from(
      '{"offsetTable":{{"brokerName":"broker-a","queueId":1,"topic":"T"}:12,{"brokerName":"broker-a","queueId":0,"topic":"T"}:7}}',
    );
    assert.deepEqual(
      decodeResetOffsetBody(body)
        .map((e) => [e.mq.queueId, e.offset])
        .sort(),
      [
        [0, 7],
        [1, 12],
      ],
    );
    assert.deepEqual(decodeResetOffsetBody(undefined), []);
    assert.throws(() => decodeResetOffsetBody(Buffer.from('[1]')), /not an object/);
    assert.throws(() => decodeResetOffsetBody(Buffer.from('{"offsetTable":{"{}":"x"}}')), /non-integer/);
    assert.throws(() => decodeResetOffsetBody(Buffer.alloc(2 * 1024 * 1024, 32)), /exceeds the limit/);
  });
});
