/**
 * Message trace against the real broker: interop with the Java client both ways (through
 * mqadmin from the same jars), and `rmq trace`'s timeline of a message consumed by several
 * groups, one of which hands it back once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SendSummary } from '../../src/services/send/index.js';
import type { GroupTrace, TraceResult } from '../../src/services/trace-result.js';
import { type CliResult, rmq, uniqueName } from '../helpers/cli.js';
import { findMqAdmin, type MqAdmin } from '../helpers/mqadmin.js';
import { poll } from '../helpers/read-topic.js';

const topics: string[] = [];
const groups: string[] = [];
let mqadmin: MqAdmin | string;

async function topic(prefix: string, queues = 1): Promise<string> {
  const t = uniqueName(prefix);
  const r = await rmq(['topic', 'create', t, '--queues', String(queues), '--json']);
  assert.equal(r.code, 0, r.stderr);
  topics.push(t);
  return t;
}

function group(prefix: string): string {
  const g = uniqueName(prefix);
  groups.push(g);
  return g;
}

async function send(t: string, args: string[]): Promise<SendSummary> {
  const r = await rmq(['send', t, ...args, '--json']);
  assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  return r.json as SendSummary;
}

async function consume(t: string, args: string[]): Promise<CliResult> {
  const r = await rmq(['consume', t, ...args], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `consume ${args.join(' ')}: ${r.stderr}`);
  return r;
}

const trace = async (args: string[]): Promise<{ r: CliResult; json: TraceResult }> => {
  const r = await rmq(['trace', ...args, '--json'], { timeoutMs: 60_000 });
  return { r, json: r.json as TraceResult };
};

before(async () => {
  mqadmin = await findMqAdmin();
});

after(async () => {
  await Promise.all(topics.map((t) => rmq(['topic', 'delete', t, '--yes'])));
  await Promise.all(groups.map((g) => rmq(['group', 'delete', g, '--yes'])));
  // The broker made a retry topic for each group that consumed.
  await Promise.all(groups.map((g) => rmq(['topic', 'delete', `%RETRY%${g}`, '--yes'])));
  await Promise.all(groups.map((g) => rmq(['topic', 'delete', `%DLQ%${g}`, '--yes'])));
  if (typeof mqadmin !== 'string') mqadmin.close();
});

describe('trace interop with the Java client', () => {
  test(
    'a message sent by mqadmin with trace on shows its Pub record in rmq trace',
    { timeout: 120_000 },
    async (t) => {
      if (typeof mqadmin === 'string') return t.skip(mqadmin);
      const topicName = await topic('it_trace_java');
      const sent = await mqadmin.run([
        'sendMessage',
        '-t',
        topicName,
        '-p',
        'from java',
        '-k',
        'jk1',
        '-m',
        'true',
      ]);
      const row = sent.stdout.split('\n').find((l) => /SEND_OK/.test(l));
      assert.ok(row, `mqadmin sendMessage printed no SEND_OK row:\n${sent.stdout}${sent.stderr}`);
      const msgId = row.trim().split(/\s+/).pop()!;

      // No --topic: rmq finds the topic through the Java client's Pub record.
      let last: TraceResult | undefined;
      const ok = await poll(async () => {
        const { r, json } = await trace([msgId]);
        last = json;
        return r.code === 0 && json.publish.length > 0;
      }, 20_000);
      assert.ok(ok, `no Pub record for ${msgId}: ${JSON.stringify(last)}`);
      const pub = last!.publish[0]!;
      assert.equal(last!.found, true);
      assert.equal(last!.message?.topic, topicName);
      assert.deepEqual(last!.message?.keys, ['jk1']);
      assert.equal(pub.success, true);
      assert.equal(pub.msgType, 'Normal_Msg');
      assert.ok(pub.group.length > 0, 'the Java producer group is named');
      assert.equal(pub.offsetMsgId, last!.message?.offsetMsgId);

      const human = await rmq(['trace', msgId, '--topic', topicName]);
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, new RegExp(`producer ${pub.group}`));
      assert.match(human.stdout, /● stored .* send \d+ ms ✓/);
    },
  );

  test(
    'a message sent by rmq send --trace and consumed by rmq consume --trace is listed by mqadmin queryMsgTraceById',
    { timeout: 120_000 },
    async (t) => {
      if (typeof mqadmin === 'string') return t.skip(mqadmin);
      const admin = mqadmin;
      const topicName = await topic('it_trace_rmq');
      const producerGroup = uniqueName('it_trace_pg');
      const consumerGroup = group('it_trace_cg');
      const s = await send(topicName, ['--body', 'traced', '--key', 'rk1', '-g', producerGroup, '--trace']);
      assert.equal(s.trace?.recordsSent, 1, JSON.stringify(s.trace));
      const msgId = s.results[0]!.msgId;
      await consume(topicName, ['-g', consumerGroup, '--from', 'first', '--until-end', '--trace']);

      let out = '';
      const ok = await poll(
        async () => {
          const q = await admin.run(['queryMsgTraceById', '-i', msgId]);
          out = q.stdout;
          return /^Pub\s/m.test(out) && /^Sub\s/m.test(out);
        },
        30_000,
        1000,
      );
      assert.ok(ok, `mqadmin did not list both rows:\n${out}`);
      const pub = out
        .split('\n')
        .find((l) => l.startsWith('Pub '))!
        .trim()
        .split(/\s+/);
      assert.equal(pub[1], producerGroup);
      assert.equal(pub.at(-1), 'success');
      const sub = out
        .split('\n')
        .find((l) => l.startsWith('Sub '))!
        .trim()
        .split(/\s+/);
      assert.equal(sub[1], consumerGroup);
      assert.equal(sub.at(-1), 'success');
      assert.match(out, /#ConsumerGroup/);
    },
  );
});

describe('rmq trace timeline', () => {
  test(
    'two groups (one hands the message back once), a group that has not consumed it, offset ids, --wait-consumed',
    { timeout: 180_000 },
    async () => {
      const topicName = await topic('it_trace_tl');
      const a = group('it_trace_a');
      const b = group('it_trace_b');
      const c = group('it_trace_c');
      const d = group('it_trace_d');

      // Group C reads an earlier message and stops: it has offsets, but not past the traced one.
      await send(topicName, ['--body', 'earlier']);
      await consume(topicName, ['-g', c, '--from', 'first', '--count', '1']);

      const s = await send(topicName, ['--body', 'traced', '--key', 'tk', '--tag', 'tt', '--trace']);
      const { msgId, offsetMsgId } = s.results[0]!;

      await consume(topicName, ['-g', a, '--from', 'first', '--until-end', '--trace']);
      // B: the first delivery is handed back (retry after level 1 = 1 s), the retry is acked.
      await consume(topicName, [
        '-g',
        b,
        '--from',
        'first',
        '--nack',
        'key:tk',
        '--retry-delay-level',
        '1',
        '--count',
        '2',
        '--trace',
      ]);
      const second = await consume(topicName, ['-g', b, '--count', '1', '--trace', '--output', 'ndjson']);
      assert.match(second.stdout, /"reconsumeTimes":1/, 'B got the retry');
      // D hands it back with no retries left: straight to %DLQ%D.
      await consume(topicName, [
        '-g',
        d,
        '--from',
        'first',
        '--nack',
        'key:tk',
        '--max-reconsume',
        '0',
        '--count',
        '2',
      ]);

      let res: TraceResult | undefined;
      const settled = await poll(async () => {
        const { r, json } = await trace([msgId, '--topic', topicName]);
        assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
        res = json;
        const gb = json.groups.find((g) => g.group === b);
        return (gb?.attempts.length ?? 0) >= 2 && gb?.state === 'consumed';
      }, 30_000);
      const byName = (n: string): GroupTrace => {
        const g = res!.groups.find((x) => x.group === n);
        assert.ok(g, `group ${n} missing from ${JSON.stringify(res!.groups.map((x) => x.group))}`);
        return g;
      };
      assert.ok(settled, JSON.stringify(res, null, 2));
      assert.equal(res!.publish.length, 1);
      assert.equal(res!.message?.queueOffset, 1);

      const ga = byName(a);
      assert.equal(ga.state, 'consumed');
      assert.equal(ga.attempts.length, 1);
      assert.equal(ga.attempts[0]!.success, true);
      assert.ok((ga.attempts[0]!.sinceStoredMs ?? -1) >= 0);

      const gb = byName(b);
      assert.equal(gb.state, 'consumed');
      assert.deepEqual(
        gb.attempts.map((x) => [x.retryTimes, x.success]),
        [
          [0, false],
          [1, true],
        ],
      );
      assert.ok((gb.attempts[1]!.sincePreviousMs ?? 0) >= 900, 'the retry came after its 1 s delay');
      assert.equal(gb.retries.length, 1);
      assert.equal(gb.retries[0]!.topic, `%RETRY%${b}`);
      assert.equal(gb.retries[0]!.consumed, true);
      assert.equal(gb.deadLetter, null);

      const gc = byName(c);
      assert.equal(gc.state, 'not-consumed-yet');
      assert.equal(gc.online, false);
      assert.equal(gc.consumerOffset, 1);
      assert.equal(gc.attempts.length, 0);

      const gd = byName(d);
      assert.equal(gd.state, 'dead-lettered');
      assert.equal(gd.deadLetter?.topic, `%DLQ%${d}`);

      const human = await rmq(['trace', msgId, '--topic', topicName]);
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, new RegExp(`group ${b}\\s+✓ consumed`));
      assert.match(human.stdout, new RegExp(`group ${c}\\s+… not consumed yet · group not online`));
      assert.match(human.stdout, /attempt 2 .* retry 1 .*✓/);
      assert.match(human.stdout, /✗ failed/);
      assert.match(human.stdout, new RegExp(`group ${d}\\s+✗ dead-lettered`));
      assert.match(human.stdout, /↻ requeued\s+%RETRY%\S+ q0@0 · reconsume 1 · consumed/);

      // The offset id leads to the same message and trace.
      const byOffset = await trace([offsetMsgId!]);
      assert.equal(byOffset.r.code, 0, byOffset.r.stderr);
      assert.equal(byOffset.json.idKind, 'offset-id');
      assert.equal(byOffset.json.msgId, msgId);
      assert.ok(byOffset.json.groups.some((g) => g.group === b && g.attempts.length === 2));

      // --group narrows; --wait-consumed: 0 when consumed, 4 when the time runs out.
      const waited = await trace([msgId, '-t', topicName, '--wait-consumed', '-g', a, '--timeout', '10s']);
      assert.equal(waited.r.code, 0, waited.r.stderr);
      assert.deepEqual(
        waited.json.groups.map((g) => g.group),
        [a],
      );
      assert.equal(waited.json.wait?.group, a);
      const timedOut = await trace([msgId, '-t', topicName, '--wait-consumed', '-g', c, '--timeout', '2s']);
      assert.equal(timedOut.r.code, 4, timedOut.r.stdout);
      assert.match(
        (timedOut.r.json as { error: { message: string } }).error.message,
        /not consumed by group/,
      );

      const dead = await trace([msgId, '-t', topicName, '--wait-consumed', '-g', d, '--timeout', '10s']);
      assert.equal(dead.r.code, 9, dead.r.stdout);

      const missing = await trace(['C0A8000100002A9F0000000000000000', '-t', topicName]);
      assert.equal(missing.r.code, 6, missing.r.stdout);
    },
  );
});
