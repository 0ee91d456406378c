/**
 * The final offset commit at stop, repeated (test/integration/offset-commit*.test.ts): fresh
 * groups read a 2-queue topic to its end with `consume --until-end`, and `group describe` must
 * show every queue committed to its end, run after run. Why the stop is repeated, and four at
 * once: see offset-commit.test.ts.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { Admin } from '../../src/core/client/admin.js';
import { describeGroup } from '../../src/services/group.js';
import { rmq, uniqueName } from './cli.js';
import { produce } from './produce.js';

/**
 * 6 rounds × 4 stops keeps each file under a minute of the suite; on the old code 4.9.7 lost a
 * commit in 6 of 80 stops, so 24 catch it about 8 times in 10 (test/unit/consumer-commit.test.ts
 * catches it every time). RMQ_TEST_COMMIT_ROUNDS=15 for a longer hunt.
 */
export const ROUNDS = Number(process.env.RMQ_TEST_COMMIT_ROUNDS ?? 6);
/** Stops at once per round: a busy broker (as in CI) widens the window the race needs. */
export const PARALLEL = 4;
const STOPS = ROUNDS * PARALLEL;

/**
 * ROUNDS times: 10 more messages, then PARALLEL fresh groups each read the topic from the first
 * message to the end at the same time (the CLI, so each stop is the real one: the process exits
 * after it), and what `group describe` reports must show each queue of the topic committed at
 * its end. Sending, describing and deleting run in-process: one CLI start per stop keeps the
 * loop short on a loaded machine. Returns the failed stops; each is also reported as it happens.
 */
export async function repeatStops(t: TestContext, namesrv: string, topic: string): Promise<string[]> {
  const admin = new Admin({ namesrv: [namesrv], timeoutMs: 10_000 });
  const failures: string[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      await produce(
        Array.from({ length: 10 }, (_, i) => ({ topic, body: Buffer.from(`r${round}m${i}`) })),
        { namesrv },
      );
      const groups = Array.from({ length: PARALLEL }, (_, i) => uniqueName(`oc${round}_${i}`));
      const runs = await Promise.all(
        groups.map((group) =>
          rmq(
            [
              'consume',
              topic,
              '-g',
              group,
              '--from',
              'first',
              '--until-end',
              '--output',
              'body',
              '-n',
              namesrv,
            ],
            { timeoutMs: 120_000 },
          ),
        ),
      );
      for (const [i, got] of runs.entries()) {
        assert.equal(got.code, 0, `round ${round}, group ${groups[i]}: ${got.stderr}`);
        const lines = got.stdout.trim().split('\n').length;
        assert.equal(lines, 10 * round, `round ${round}, group ${groups[i]}: every message read`);
      }
      for (const group of groups) {
        const d = await describeGroup(admin, { group, topic });
        const rows = d.queues.filter((q) => q.topic === topic);
        assert.equal(rows.length, 2, `round ${round}: both queues listed: ${JSON.stringify(d)}`);
        const behind = rows.filter((q) => q.lag !== 0 || q.consumerOffset !== q.brokerOffset);
        if (behind.length > 0) {
          const what = behind.map(
            (q) => `queue ${q.queueId} committed ${q.consumerOffset} of ${q.brokerOffset}`,
          );
          failures.push(`round ${round}, ${group}: ${what.join(', ')}`);
          t.diagnostic(failures.at(-1)!);
        }
        await admin.deleteGroup(group).catch(() => {});
      }
    }
  } finally {
    admin.close();
  }
  t.diagnostic(`${failures.length} of ${STOPS} stops lost a final commit`);
  return failures;
}
