/**
 * A migration across versions: a document exported from the suite's 5.x broker applied to a 4.9
 * cluster of the test's own. The 5.x fields 4.9 lacks (a topic's message type, a group's orderly
 * flag, retry policy and consume timeout) are reported as not supported and left out, never
 * dropped in silence, and are not drift: the 4.9 cluster then diffs clean against the document.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ApplyResult } from '../../src/commands/apply.js';
import type { DiffResult } from '../../src/commands/diff.js';
import type { ExportResult } from '../../src/commands/export.js';
import { rmq, uniqueName } from '../helpers/cli.js';
import { startCluster } from '../helpers/cluster.js';
import { freeClusterPorts } from '../helpers/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'rmq-metadata-49-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('metadata: 5.x document applied to 4.9', () => {
  test('5.x-only fields are reported as not supported, the rest applied', { timeout: 900_000 }, async (t) => {
    const source = await rmq(['cluster', 'list', '--json']);
    assert.equal(source.code, 0, source.stderr);
    if (!/"version": "V5_/.test(source.stdout)) {
      t.skip('the suite broker is not 5.x: nothing 4.9 lacks to export');
      return;
    }
    const p = `${uniqueName('meta49')}_`;
    const topic = `${p}fifo`;
    const group = `${p}g`;
    const file = join(dir, 'from-5.yaml');
    try {
      for (const args of [
        ['topic', 'create', topic, '--queues', '3', '--type', 'FIFO'],
        ['group', 'create', group, '--orderly', '--retry-max-times', '4'],
      ]) {
        const r = await rmq(args);
        assert.equal(r.code, 0, r.stderr);
      }
      const exported = await rmq(['export', '--prefix', p, '-o', file, '--json']);
      assert.equal(exported.code, 0, exported.stderr);
      assert.equal((exported.json as ExportResult).document.topics?.[topic]?.messageType, 'FIFO');

      const { namesrvPort, brokerPort } = await freeClusterPorts();
      const c = await startCluster('metadata-49', namesrvPort, brokerPort, { version: '4.9' });
      try {
        assert.match(c.version, /^4\.9\./);
        const human = await rmq(['apply', '-f', file, '--yes', ...c.n]);
        assert.equal(human.code, 0, human.stdout + human.stderr);
        // The plan goes to stderr with --yes.
        assert.match(
          human.stderr,
          new RegExp(`topic ${topic}: messageType FIFO not supported by ${c.version} .*left out`),
        );
        assert.match(
          human.stderr,
          new RegExp(`group ${group}: orderly true not supported by ${c.version} .*left out`),
        );
        assert.match(human.stdout, /the cluster is as the document says now/);

        const diff = await rmq(['diff', '-f', file, '--json', ...c.n]);
        assert.equal(diff.code, 0, diff.stdout + diff.stderr);
        const d = diff.json as DiffResult;
        assert.deepEqual(d.plan.unsupported.map((u) => `${u.kind} ${u.field}`).sort(), [
          'group consumeTimeoutMinute',
          'group orderly',
          'group retryPolicy',
          'topic messageType',
        ]);

        const again = await rmq(['apply', '-f', file, '--yes', '--json', ...c.n]);
        assert.equal(again.code, 0, again.stderr);
        assert.equal((again.json as ApplyResult).noop, true);

        const there = await rmq(['export', '--prefix', p, '--json', ...c.n]);
        assert.equal(there.code, 0, there.stderr);
        const doc = (there.json as ExportResult).document;
        assert.deepEqual(doc.topics?.[topic], { readQueues: 3, writeQueues: 3, perm: 'rw', order: false });
        assert.equal(doc.groups?.[group]?.retryMaxTimes, 4);
        assert.equal(doc.metadata?.source?.brokerVersion, c.version);
      } finally {
        await c.down();
      }
    } finally {
      await rmq(['topic', 'delete', topic, '--yes']);
      await rmq(['group', 'delete', group, '--yes']);
    }
  });
});
