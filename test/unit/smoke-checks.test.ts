import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newHistogram } from '../../src/bench/histogram.js';
import { parseSlo } from '../../src/bench/slo.js';
import {
  countReordered,
  evaluateSlos,
  finalStatus,
  judgeType,
  type Sent,
} from '../../src/services/smoke/checks.js';

const rules = { count: 2, delayExpectMs: 5000, delayPrecisionMs: 1000, delayHow: '5 s timer' };
const hist = () => ({ e2e: newHistogram(), delay: newHistogram() });
const T0 = 1_000_000_000;

describe('smoke verdicts', () => {
  test('every message once: ok, with e2e samples', () => {
    const sent: Sent[] = [
      { type: 'normal', seq: 0, msgId: 'a', startUs: T0 },
      { type: 'normal', seq: 1, msgId: 'b', startUs: T0 },
    ];
    const h = hist();
    const times = new Map([
      ['a', [T0 + 1000]],
      ['b', [T0 + 2000]],
    ]);
    const v = judgeType('normal', sent, { times, order: [] }, 0, rules, h);
    assert.equal(v.check.ok, true);
    assert.equal(v.check.detail, '2/2 delivered');
    assert.equal(h.e2e.totalCount, 2);
  });

  test('a lost and a duplicated message fail the type and are named', () => {
    const sent: Sent[] = [
      { type: 'normal', seq: 0, msgId: 'a', startUs: T0 },
      { type: 'normal', seq: 1, msgId: 'b', startUs: T0 },
    ];
    const v = judgeType(
      'normal',
      sent,
      { times: new Map([['a', [T0, T0 + 5]]]), order: [] },
      0,
      rules,
      hist(),
    );
    assert.equal(v.check.ok, false);
    assert.equal(v.result.lost, 1);
    assert.equal(v.result.duplicates, 1);
    assert.match(v.check.detail, /1 lost, 1 duplicate/);
  });

  test('a delay message that came before its delay (less the timer precision) is early', () => {
    const sent: Sent[] = [
      { type: 'delay', seq: 0, msgId: 'a', startUs: T0 },
      { type: 'delay', seq: 1, msgId: 'b', startUs: T0 },
    ];
    const times = new Map([
      ['a', [T0 + 4_100_000]], // 4.1 s: within the 1 s precision of a 5 s timer
      ['b', [T0 + 3_000_000]], // 3 s: early
    ]);
    const v = judgeType('delay', sent, { times, order: [] }, 0, rules, hist());
    assert.equal(v.result.early, 1);
    assert.equal(v.check.ok, false);
    assert.match(v.check.detail, /1 early \(5 s timer\)/);
  });

  test('a delivered rollback fails the transaction type', () => {
    const sent: Sent[] = [
      { type: 'transaction', seq: 0, msgId: 'a', startUs: T0, action: 'commit' },
      { type: 'transaction', seq: 1, msgId: 'b', startUs: T0, action: 'commit' },
      { type: 'transaction', seq: 2, msgId: 'r', startUs: T0, action: 'rollback' },
    ];
    const times = new Map([
      ['a', [T0 + 1]],
      ['b', [T0 + 1]],
      ['r', [T0 + 1]],
    ]);
    const v = judgeType('transaction', sent, { times, order: [] }, 0, rules, hist());
    assert.equal(v.result.expected, 2);
    assert.equal(v.result.rolledBackDelivered, 1);
    assert.equal(v.check.ok, false);
  });

  test('fifo order: an arrival below an earlier one counts once', () => {
    assert.equal(countReordered([{ seq: 0 }, { seq: 1 }, { seq: 2 }]), 0);
    assert.equal(countReordered([{ seq: 1 }, { seq: 0 }, { seq: 2 }]), 1);
    assert.equal(countReordered([{ seq: 2 }, { seq: 0 }, { seq: 1 }]), 2);
  });

  test('a send failure or a short count fails the type even when all that was sent arrived', () => {
    const sent: Sent[] = [{ type: 'normal', seq: 0, msgId: 'a', startUs: T0 }];
    const v = judgeType('normal', sent, { times: new Map([['a', [T0]]]), order: [] }, 1, rules, hist());
    assert.equal(v.check.ok, false);
    assert.match(v.check.detail, /1 send\(s\) failed/);
  });

  test('SLOs: scalars and quantiles; an empty histogram fails its SLO', () => {
    const e2e = newHistogram();
    e2e.recordValue(5000);
    const slos = ['lost==0', 'p99(e2e)<10ms', 'p99(delay)<1s'].map(parseSlo);
    const res = evaluateSlos(
      slos,
      { errors: 0, lost: 0, duplicates: 0, reordered: 0 },
      { e2e, delay: newHistogram() },
    );
    assert.deepEqual(
      res.map((r) => r.pass),
      [true, true, false],
    );
    assert.equal(res[2]!.actual, null);
  });

  test('status: a failed check outranks a failed SLO; interrupted stays', () => {
    const slo = [{ pass: false }] as never;
    assert.equal(
      finalStatus({ status: 'passed', checks: [{ name: 'x', ok: false, detail: '' }], slo }),
      'check-failed',
    );
    assert.equal(finalStatus({ status: 'passed', checks: [], slo }), 'slo-failed');
    assert.equal(finalStatus({ status: 'interrupted', checks: [], slo }), 'interrupted');
    assert.equal(finalStatus({ status: 'passed', checks: [], slo: [] }), 'passed');
  });
});
