/**
 * Bodies built to hurt the reader: a large body of control characters, a stored zlib bomb (1 MiB
 * that inflates to 1 GiB) and a corrupt compressed body, against the real broker; JSON nested
 * 200,000 deep or 14 MB long from a fake name server and broker. Each must end as one clear
 * report, with memory and time bounded.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { MessageRecord } from '../../src/services/message-record.js';
import type { MessageGetResult } from '../../src/services/message.js';
import { type CliOptions, type CliResult, ndjson, rmq, uniqueName } from '../helpers/cli.js';
import { FakeBroker } from '../helpers/fake-broker.js';
import { sendCompressed, zlibBomb } from '../helpers/hostile.js';
import { produce } from '../helpers/produce.js';

const MiB = 1024 * 1024;
const PEAK_HOOK = fileURLToPath(new URL('../helpers/peak-rss-hook.js', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'rmq-hostile-'));
let runs = 0;

/** Runs the CLI and reads its peak RSS (VmHWM at exit, through the preloaded hook). */
async function rmqPeak(args: string[], options: CliOptions = {}): Promise<CliResult & { peakMiB: number }> {
  const file = join(scratch, `peak-${runs++}`);
  const r = await rmq(args, {
    ...options,
    env: { ...options.env, NODE_OPTIONS: `--import=${PEAK_HOOK}`, RMQ_TEST_PEAK_RSS_FILE: file },
  });
  const kib = Number(readFileSync(file, 'utf8'));
  assert.ok(kib > 0, `no peak RSS recorded (exit ${r.code}): ${r.stderr}`);
  return { ...r, peakMiB: Math.round(kib / 1024) };
}

/** Well above the CLI's own ~150 MiB plus one capped 64 MiB body; far below the 3+ GiB of 1 GiB inflated. */
const RSS_BOUND_MIB = 600;

type Rec = MessageRecord;

describe('large bodies in --json output', () => {
  test(
    '--json prints a 2 MiB body of control characters (12 MB of JSON escapes)',
    { timeout: 120_000 },
    async () => {
      const t = uniqueName('it_escapes');
      const c = await rmq(['topic', 'create', t, '--queues', '1', '--json']);
      assert.equal(c.code, 0, c.stderr);
      try {
        // NUL bytes are valid UTF-8: the record carries them as text, each escaped as \u0000.
        await produce([{ topic: t, body: Buffer.alloc(2 * MiB) }]);
        const r = await rmq(['message', 'print', '-t', t, '-q', '0', '--offset', '0', '--json']);
        assert.equal(r.code, 0, r.stderr);
        const m = (r.json as { messages: Rec[] }).messages[0]!;
        assert.equal(m.body?.length, 2 * MiB);
      } finally {
        await rmq(['topic', 'delete', t, '--yes']);
      }
    },
  );
});

describe('stored bodies that inflate without bound', { concurrency: true }, () => {
  const topic = uniqueName('it_bomb');
  let bombId = '';
  let bombOffsetId = '';
  let plainId = '';

  before(async () => {
    const c = await rmq(['topic', 'create', topic, '--queues', '1', '--json']);
    assert.equal(c.code, 0, c.stderr);
    const bomb = zlibBomb(1024);
    // RocketMQ stores at most 4 MiB of body: the bomb fits, as an attacker's would.
    assert.ok(bomb.length < 4 * MiB, `bomb is ${bomb.length} bytes`);
    const b = await sendCompressed({ topic, body: bomb, keys: ['bomb'] });
    bombId = b.msgId;
    bombOffsetId = b.offsetMsgId;
    const p = await produce([{ topic, body: Buffer.from('after the bomb'), keys: ['plain'] }]);
    plainId = p[0]!.msgId;
  });

  after(async () => {
    await rmq(['topic', 'delete', topic, '--yes']);
    rmSync(scratch, { recursive: true, force: true });
  });

  test(
    'consume reports the bomb per message, goes on, and commits past it',
    { timeout: 180_000 },
    async () => {
      const g = uniqueName('g');
      const r = await rmqPeak(
        ['consume', topic, '-g', g, '--from', 'first', '--count', '2', '--output', 'ndjson'],
        { timeoutMs: 150_000 },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.peakMiB < RSS_BOUND_MIB, `peak RSS ${r.peakMiB} MiB`);
      const [first, second] = ndjson<Rec>(r.stdout);
      assert.equal(first?.msgId, bombId);
      assert.equal(first.body, undefined);
      assert.equal(first.bodyBase64, undefined);
      assert.equal(first.bodyError?.reason, 'too-large');
      assert.equal(first.bodyError?.limitBytes, 64 * MiB);
      assert.equal(second?.msgId, plainId);
      assert.equal(second.body, 'after the bomb');
      // One warning naming the message, where it is, and the cap.
      const warning = r.stderr.split('\n').find((l) => l.includes(bombId));
      assert.ok(warning, r.stderr);
      assert.match(warning, /queue 0 offset 0/);
      assert.match(warning, /64 MiB/);
      assert.match(warning, /--max-body/);
      // Reported counts as written out: the group's next run starts after both.
      const again = await rmq(['consume', topic, '-g', g, '--until-end', '--output', 'ndjson']);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout, '');
    },
  );

  test(
    'message get by id and by offset id: metadata, a body error, bounded memory',
    { timeout: 180_000 },
    async () => {
      for (const id of [bombId, bombOffsetId]) {
        const r = await rmqPeak(['message', 'get', id, '--topic', topic, '--json'], { timeoutMs: 150_000 });
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.peakMiB < RSS_BOUND_MIB, `peak RSS ${r.peakMiB} MiB`);
        const m = r.json as MessageGetResult;
        assert.equal(m.msgId, bombId);
        assert.deepEqual(m.keys, ['bomb']);
        assert.equal(m.body, undefined);
        assert.equal(m.bodyError?.reason, 'too-large');
        assert.equal(m.bodyError?.storedBytes, zlibBomb(1024).length);
      }
      const text = await rmq(['message', 'get', bombId, '--topic', topic]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^Body: not inflated: /m);
      assert.match(text.stderr, new RegExp(`${bombId}.*64 MiB`));
    },
  );

  test(
    'message query and print report the bomb and still print the plain message',
    { timeout: 180_000 },
    async () => {
      const q = await rmqPeak(['message', 'query', '-t', topic, '-k', 'bomb', '--output', 'ndjson'], {
        timeoutMs: 150_000,
      });
      assert.equal(q.code, 0, q.stderr);
      assert.ok(q.peakMiB < RSS_BOUND_MIB, `peak RSS ${q.peakMiB} MiB`);
      assert.equal(ndjson<Rec>(q.stdout)[0]?.bodyError?.reason, 'too-large');
      const p = await rmqPeak(
        ['message', 'print', '-t', topic, '-q', '0', '--offset', '0', '--count', '2', '--json'],
        {
          timeoutMs: 150_000,
        },
      );
      assert.equal(p.code, 0, p.stderr);
      assert.ok(p.peakMiB < RSS_BOUND_MIB, `peak RSS ${p.peakMiB} MiB`);
      const msgs = (p.json as { messages: Rec[] }).messages;
      assert.deepEqual(
        msgs.map((m) => [m.bodyError?.reason ?? null, m.body ?? null]),
        [
          ['too-large', null],
          [null, 'after the bomb'],
        ],
      );
    },
  );

  test('trace of the bomb: found, body length unknown, bounded memory', { timeout: 180_000 }, async () => {
    const r = await rmqPeak(['trace', bombId, '--topic', topic, '--json'], { timeoutMs: 150_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.peakMiB < RSS_BOUND_MIB, `peak RSS ${r.peakMiB} MiB`);
    const m = (r.json as { message: { msgId: string; bodyError: string | null } }).message;
    assert.equal(m.msgId, bombId);
    assert.match(m.bodyError ?? '', /more than 64 MiB/);
  });

  test('--max-body and RMQ_MAX_BODY move the cap', { timeout: 120_000 }, async () => {
    const t = uniqueName('it_maxbody');
    const c = await rmq(['topic', 'create', t, '--queues', '1', '--json']);
    assert.equal(c.code, 0, c.stderr);
    try {
      await sendCompressed({ topic: t, body: zlibBomb(2) });
      const args = ['message', 'print', '-t', t, '-q', '0', '--offset', '0', '--json'];
      const capped = await rmq([...args, '--max-body', '1MiB']);
      assert.equal(capped.code, 0, capped.stderr);
      const m = (capped.json as { messages: Rec[] }).messages[0]!;
      assert.equal(m.bodyError?.reason, 'too-large');
      assert.equal(m.bodyError?.limitBytes, MiB);
      const fromEnv = await rmq(args, { env: { RMQ_MAX_BODY: '3MiB' } });
      assert.equal(fromEnv.code, 0, fromEnv.stderr);
      const n = (fromEnv.json as { messages: Rec[] }).messages[0]!;
      assert.equal(n.bodyError, undefined);
      assert.equal(Buffer.from(n.body ?? '', 'utf8').length, 2 * MiB);
      const bad = await rmq([...args, '--max-body', '0']);
      assert.equal(bad.code, 2);
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    } finally {
      await rmq(['topic', 'delete', t, '--yes']);
    }
  });

  test(
    'a compressed body that is not zlib is reported per message; consume goes on',
    { timeout: 120_000 },
    async () => {
      const t = uniqueName('it_corrupt');
      const c = await rmq(['topic', 'create', t, '--queues', '1', '--json']);
      assert.equal(c.code, 0, c.stderr);
      try {
        const bad = await sendCompressed({ topic: t, body: Buffer.from('not zlib at all') });
        await produce([{ topic: t, body: Buffer.from('fine') }]);
        const r = await rmq(
          ['consume', t, '-g', uniqueName('g'), '--from', 'first', '--count', '2', '--json'],
          {
            timeoutMs: 90_000,
          },
        );
        assert.equal(r.code, 0, r.stderr);
        const msgs = (r.json as { messages: Rec[] }).messages;
        assert.equal(msgs[0]?.msgId, bad.msgId);
        assert.equal(msgs[0].bodyError?.reason, 'corrupt');
        assert.equal(msgs[1]?.body, 'fine');
      } finally {
        await rmq(['topic', 'delete', t, '--yes']);
      }
    },
  );
});

// One at a time: each run is timed, and two CLIs parsing 14 MB at once on 2 cores would time each other.
describe('name server and broker JSON built to stall or overflow the reader', () => {
  /** A fake cluster in one server: name server and the broker it names, answering topic list. */
  async function fakeCluster(topicConfigBody: () => Buffer): Promise<FakeBroker> {
    const fake = await FakeBroker.start();
    const info = `{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"${fake.address}"},"brokerName":"broker-a","cluster":"C"}},"clusterAddrTable":{"C":["broker-a"]}}`;
    fake.respondWith(106, () => ({ code: 0, body: Buffer.from(info) }));
    fake.respondWith(21, () => ({ code: 0, body: topicConfigBody() }));
    return fake;
  }

  /** A GET_ALL_TOPIC_CONFIG body of 14 MB: 69,783 topics, 8 strings each. */
  function bigTopicTable(): { body: Buffer; entries: string[] } {
    const entries: string[] = [];
    let bytes = 0;
    for (let i = 0; bytes < 14_000_000; i++) {
      const name = `topic_${i.toString(36)}_with_a_longer_name`;
      const e = `"${name}":{"attributes":{},"order":false,"perm":6,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"${name}","topicSysFlag":0,"writeQueueNums":8}`;
      entries.push(e);
      bytes += e.length + 1;
    }
    const body = Buffer.from(
      `{"dataVersion":{"counter":1,"stateVersion":0,"timestamp":1},"topicConfigTable":{${entries.join(',')}}}`,
    );
    return { body, entries };
  }

  test('a body nested 200,000 deep: exit 7, one line, no stack', async () => {
    const depth = 200_000;
    const deep = Buffer.from(`{"topicConfigTable":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    const fake = await fakeCluster(() => deep);
    try {
      const r = await rmq(['topic', 'list', '-n', fake.address], { timeoutMs: 60_000 });
      assert.equal(r.code, 7, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /nested deeper than 512/);
      assert.doesNotMatch(r.stderr, /bug|RangeError|Maximum call stack/);
    } finally {
      await fake.close();
    }
  });

  test('a 14 MB topic config table is listed within 30 s', { timeout: 90_000 }, async () => {
    const { body, entries } = bigTopicTable();
    const fake = await fakeCluster(() => body);
    try {
      const r = await rmq(['topic', 'list', '-n', fake.address, '--names-only', '--timeout', '30s'], {
        timeoutMs: 60_000,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim().split('\n').length, entries.length);
      assert.ok(r.ms < 30_000, `took ${r.ms} ms`);
    } finally {
      await fake.close();
    }
  });

  test(
    'a 14 MB topic config table prints as a table and as --json within 30 s each',
    { timeout: 180_000 },
    async () => {
      const { body, entries } = bigTopicTable();
      const fake = await fakeCluster(() => body);
      try {
        const table = await rmq(['topic', 'list', '-n', fake.address, '--timeout', '30s'], {
          timeoutMs: 60_000,
        });
        assert.equal(table.code, 0, table.stderr);
        const lines = table.stdout.trim().split('\n');
        assert.equal(lines.length, entries.length + 1);
        assert.match(lines[1]!, /^topic_0_with_a_longer_name +8 +8 +RW- +- +broker-a$/);
        assert.ok(table.ms < 30_000, `table took ${table.ms} ms`);
        const json = await rmq(['topic', 'list', '-n', fake.address, '--json', '--timeout', '30s'], {
          timeoutMs: 60_000,
        });
        assert.equal(json.code, 0, json.stderr);
        assert.equal((json.json as { topics: unknown[] }).topics.length, entries.length);
        assert.ok(json.ms < 30_000, `--json took ${json.ms} ms`);
      } finally {
        await fake.close();
      }
    },
  );
});
