/**
 * Faults against the real broker (issue 6). A broker dropping oneway sends from its send queue:
 * each drop is reported and not stored. One drill per file, so that `npm test` runs the long ones
 * beside the rest of the suite (see scripts/test.mjs). The drill runs a cluster of its own on free
 * ports, so the suite's shared broker is never touched, and reports its figures with t.diagnostic.
 * It waits for what it depends on (a restarted broker's readiness, a producer at its rate), not a
 * fixed schedule, and what it asserts is counted from there.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RemotingClient } from '../../src/core/client/remoting-client.js';
import type { SendSummary } from '../../src/services/send/index.js';
import type { SendRecord } from '../../src/services/send/loop.js';
import { TopicReader } from '../helpers/read-topic.js';
import { rmq } from '../helpers/cli.js';
import { TEST_TIMEOUT, withCluster } from '../helpers/faults.js';

test(
  'a broker dropping oneway sends from its send queue: each drop is reported FAILED and is not stored, each ONEWAY is stored',
  { timeout: TEST_TIMEOUT },
  async (t) => {
    const COUNT = 3000;
    await withCluster('faults-oneway-drop', async (c) => {
      const topic = 'faults_oneway_drop';
      const created = await rmq(['topic', 'create', topic, '--queues', '4', ...c.n]);
      assert.equal(created.code, 0, created.stderr);
      // The broker's fast failure drops whatever waited in its send queue this long (default
      // 200 ms) at its sweep, every 10 ms. At 0 every sweep that finds a request there drops it:
      // a busy broker, made certain. UPDATE_BROKER_CONFIG (25) applies it at once.
      const admin = new RemotingClient({ timeoutMs: 5000 });
      try {
        await admin.call(c.broker, 25, {}, { body: Buffer.from('waitTimeMillsInSendQueue=0\n') });
      } finally {
        admin.close();
      }
      const r = await rmq(
        ['send', topic, '--mode', 'oneway', '--size', '200', '--count', String(COUNT), '--json', ...c.n],
        { timeoutMs: 300_000 },
      );
      const s = r.json as SendSummary | undefined;
      assert.ok(s, `exit ${r.code}: ${r.stdout.slice(0, 500)}${r.stderr}`);
      const taken = s.results.filter((x: SendRecord) => x.status === 'ONEWAY');
      const dropped = s.results.filter(
        (x: SendRecord) =>
          x.status === 'FAILED' && x.error?.code === 2 && /CLEAN_QUEUE\]/.test(x.error.message),
      );
      const unproven = s.results.filter((x: SendRecord) => x.status === 'FAILED' && !dropped.includes(x));
      const reader = new TopicReader('faults_oneway_reader', c.namesrv);
      let stored: Set<string>;
      try {
        // Taken messages are stored within ms; 10 s covers a slow broker.
        const ids = new Set(taken.map((x) => x.msgId));
        const ms = await reader.readUntil(
          topic,
          (got) => got.filter((m) => ids.has(m.msgId)).length === ids.size,
          10_000,
        );
        stored = new Set(ms.map((m) => m.msgId));
        assert.equal(stored.size, ms.length, 'each stored once');
      } finally {
        await reader.close();
      }
      t.diagnostic(
        `${COUNT} oneway at a broker dropping its send queue: ${taken.length} ONEWAY, ${dropped.length} FAILED ` +
          `as dropped, ${unproven.length} FAILED unproven (${[...new Set(unproven.map((x) => x.error?.message.replace(/\d+/g, 'N')))].join('; ')}); ` +
          `${stored.size} stored; exit ${r.code}`,
      );

      assert.equal(s.sent + s.failed, COUNT);
      assert.equal(s.results.length, COUNT);
      // The drop path was taken for real, and reported: exit 5 (broker).
      assert.ok(dropped.length > 0, 'the broker dropped some of them');
      assert.equal(r.code, 5, r.stderr);
      assert.deepEqual(
        taken.filter((x) => !stored.has(x.msgId)).map((x) => x.index),
        [],
        'every ONEWAY message is stored',
      );
      assert.deepEqual(
        dropped.filter((x) => stored.has(x.msgId)).map((x) => x.index),
        [],
        'no message the broker said it dropped is stored',
      );
      // What is stored is what was taken, plus whatever of the unproven ones made it.
      const unprovenStored = unproven.filter((x) => stored.has(x.msgId)).length;
      assert.equal(stored.size, taken.length + unprovenStored);
    });
  },
);
