/** The pure renderers of `rmq trace` and `rmq smoke`. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SmokeResult } from '../../src/services/smoke/model.js';
import type { TraceResult } from '../../src/services/trace-result.js';
import { renderSmokeReport } from '../../src/ui/smoke-report.js';
import { formatDuration, renderTrace } from '../../src/ui/trace-view.js';

const result: TraceResult = {
  id: 'ID1',
  idKind: 'unique-key',
  msgId: 'ID1',
  found: true,
  message: {
    topic: 'orders',
    msgId: 'ID1',
    offsetMsgId: 'OFF1',
    brokerName: 'broker-a',
    storeHost: '127.0.0.1:10911',
    queueId: 2,
    queueOffset: 7,
    tags: 'paid',
    keys: ['o-1'],
    bornHost: '10.0.0.5:50000',
    bornTimestamp: '2026-11-22T10:00:00.000Z',
    storeTimestamp: '2026-11-22T10:00:00.004Z',
    storeDelayMs: 4,
    bodyLength: 12,
    bodyError: null,
    reconsumeTimes: 0,
    transaction: true,
    delay: null,
  },
  copies: 1,
  publish: [
    {
      group: 'checkout',
      clientHost: '10.0.0.5',
      at: '2026-11-22T10:00:00.000Z',
      costMs: 5,
      success: true,
      storeHost: '127.0.0.1:10911',
      msgType: 'Trans_Msg_Half',
      regionId: 'DefaultRegion',
      offsetMsgId: 'OFF1',
    },
  ],
  transaction: [
    {
      state: 'COMMIT_MESSAGE',
      fromTransactionCheck: false,
      group: 'checkout',
      at: '2026-11-22T10:00:00.010Z',
      sinceBornMs: 10,
    },
  ],
  groups: [
    {
      group: 'billing',
      state: 'consumed',
      online: true,
      messageModel: 'CLUSTERING',
      consumerOffset: 8,
      attempts: [
        {
          n: 1,
          requestId: 'R1',
          at: '2026-11-22T10:00:00.020Z',
          clientHost: '10.0.0.7',
          retryTimes: 0,
          costMs: 3,
          success: false,
          sinceStoredMs: 16,
          sincePreviousMs: null,
        },
        {
          n: 2,
          requestId: 'R2',
          at: '2026-11-22T10:00:10.030Z',
          clientHost: '10.0.0.7',
          retryTimes: 1,
          costMs: 1,
          success: true,
          sinceStoredMs: 10026,
          sincePreviousMs: 10007,
        },
      ],
      retries: [
        {
          topic: '%RETRY%billing',
          brokerName: 'broker-a',
          queueId: 0,
          queueOffset: 3,
          storedAt: '2026-11-22T10:00:10.025Z',
          reconsumeTimes: 1,
          consumed: true,
        },
      ],
      deadLetter: null,
      note: null,
    },
    {
      group: 'audit',
      state: 'not-consumed-yet',
      online: false,
      messageModel: null,
      consumerOffset: 7,
      attempts: [],
      retries: [],
      deadLetter: null,
      note: null,
    },
  ],
  traceTopic: 'RMQ_SYS_TRACE_TOPIC',
  traceRecords: 6,
  window: { begin: '2026-11-22T09:59:00.000Z', end: null },
  warnings: [],
};

describe('renderTrace', () => {
  const text = renderTrace(result, { color: false, timeZone: 'UTC' });

  test('hops in order with their deltas, per group, without colour when asked', () => {
    assert.doesNotMatch(text, /\x1b\[/);
    const lines = text.split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    assert.match(text, /10:00:00\.000 +● born +producer checkout @ 10\.0\.0\.5/);
    assert.match(text, /10:00:00\.004 +\+4 ms +● stored +broker-a q2@7 · send 5 ms ✓/);
    assert.match(text, /\+6 ms +● tx end +COMMIT_MESSAGE/);
    assert.match(text, /group billing +✓ consumed · online · offset 8/);
    assert.match(text, /\+16 ms +├ attempt 1 +10\.0\.0\.7 · retry 0 · 3 ms ✗ failed/);
    // The requeued copy sits between the attempts; each delta is from the hop before.
    assert.match(text, /10:00:10\.025 +\+10\.00 s +↻ requeued +%RETRY%billing q0@3 · reconsume 1 · consumed/);
    assert.match(text, /10:00:10\.030 +\+5 ms +├ attempt 2 +10\.0\.0\.7 · retry 1 · 1 ms ✓/);
    assert.ok(at(/attempt 1/) < at(/requeued/) && at(/requeued/) < at(/attempt 2/));
    assert.match(text, /group audit +… not consumed yet · group not online · offset 7\n +no delivery traced/);
    assert.match(text, /6 trace record\(s\) from RMQ_SYS_TRACE_TOPIC/);
  });

  test('the waterfall places hops on the message life from born to the last event', () => {
    const born = text.split('\n').find((l) => l.includes('● born'))!;
    const last = text.split('\n').find((l) => l.includes('attempt 2'))!;
    assert.ok(born.trimEnd().endsWith('●'));
    // attempt 2 is the last event: its mark is at the far right of a 32-cell column.
    const col = born.lastIndexOf('●');
    assert.equal(last.lastIndexOf('●'), col + 31);
  });

  test('colour on request', () => {
    assert.match(renderTrace(result, { color: true, timeZone: 'UTC' }), /\x1b\[32m✓ consumed/);
  });

  test('a message known only from its trace', () => {
    const t = renderTrace(
      { ...result, found: false, message: null, groups: [] },
      { color: false, timeZone: 'UTC' },
    );
    assert.match(t, /the message itself was not found/);
    assert.match(t, /● sent +to 127\.0\.0\.1:10911 · send 5 ms ✓/);
  });
});

test('formatDuration', () => {
  assert.equal(formatDuration(0.25), '250 µs');
  assert.equal(formatDuration(1.234), '1.23 ms');
  assert.equal(formatDuration(42), '42 ms');
  assert.equal(formatDuration(1530), '1.53 s');
  assert.equal(formatDuration(125_000), '2 min 5 s');
  assert.equal(formatDuration(-3), '-3 ms');
  assert.equal(formatDuration(null), '');
});

test('renderSmokeReport', () => {
  const r = {
    status: 'slo-failed',
    namesrv: ['127.0.0.1:9876'],
    topic: 'rmq_smoke_x',
    topicCreated: true,
    group: 'rmq_smoke_x',
    checks: [
      { name: 'cluster', ok: true, detail: '1 master broker(s)' },
      { name: 'normal', ok: true, detail: '3/3 delivered' },
    ],
    latency: { send: null, e2e: null, delay: null },
    slo: [{ expr: 'p99(e2e)<1us', metric: 'p99(e2e)', op: '<', threshold: 1, actual: 2500, pass: false }],
    elapsedMs: 1200,
  } as unknown as SmokeResult;
  const text = renderSmokeReport(r, { color: false });
  assert.match(text, /✓ cluster +1 master broker\(s\)/);
  assert.match(text, /✗ slo p99\(e2e\)<1us +actual 2\.50 ms/);
  assert.match(text, /^FAILED \(SLO\) in 1\.20 s$/m);
});
