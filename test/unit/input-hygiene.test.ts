/**
 * Hardening of what users and servers hand us (issue #9): durations a timer cannot hold,
 * property separators in message fields, words that name Object built-ins, control characters
 * on a terminal, and profile settings that belong to one cluster only.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MQClient } from '../../src/core/client/mq-client.js';
import { Producer } from '../../src/core/client/producer.js';
import { checkPropertyStrings, type OutgoingMessage } from '../../src/core/client/outgoing-message.js';
import { InvalidArgumentError, NotFoundError } from '../../src/core/errors.js';
import { decodeKvTable } from '../../src/core/protocol/admin.js';
import { decodeProperties, type MessageExt } from '../../src/core/protocol/message.js';
import { RequestCode } from '../../src/core/remoting/codes.js';
import { parseDuration, parseSize } from '../../src/core/util/units.js';
import { combineIntervals } from '../../src/bench/merge.js';
import { parseSlo } from '../../src/bench/slo.js';
import type { BenchInterval } from '../../src/bench/result.js';
import { parseProperties } from '../../src/services/input.js';
import { fromRecord, toRecord } from '../../src/services/message-record.js';
import type { SendRecord } from '../../src/services/send/loop.js';
import { formatResult } from '../../src/ui/send-output.js';
import { writeMessages } from '../../src/ui/message-output.js';
import { compileTemplate, renderBody, renderText } from '../../src/ui/message-render.js';
import { renderTable } from '../../src/ui/table.js';
import { escapeControls, escapeStrings } from '../../src/ui/terminal-text.js';
import {
  activeProfile,
  loadProfiles,
  type Profile,
  requireProfile,
  resolveConnection,
  saveProfiles,
} from '../../src/services/profiles.js';
import { FakeBroker } from '../helpers/fake-broker.js';

/** A stored message with these properties, as the decoder would hand it over. */
function stored(properties: Record<string, string>, body = 'b'): MessageExt {
  return {
    topic: 't',
    queueId: 0,
    queueOffset: 1,
    commitLogOffset: 2,
    flag: 0,
    sysFlag: 0,
    bornTimestamp: 0,
    bornHost: '10.0.0.1:1',
    storeTimestamp: 0,
    storeHost: '10.0.0.2:10911',
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    body: Buffer.from(body),
    bodyCompressed: false,
    properties,
    offsetMsgId: 'OFF',
    msgId: 'ID',
  };
}

/** A producer against a scripted broker; `sent` returns the properties string of the last send. */
function fakeProducer() {
  let server: FakeBroker;
  let client: MQClient;
  let producer: Producer;
  before(async () => {
    server = await FakeBroker.start();
    const route = {
      brokerDatas: [{ brokerAddrs: { 0: server.address }, brokerName: 'b', cluster: 'c' }],
      queueDatas: [{ brokerName: 'b', perm: 6, readQueueNums: 1, writeQueueNums: 1, topicSysFlag: 0 }],
    };
    server.respondWith(RequestCode.GET_ROUTEINFO_BY_TOPIC, () => ({
      code: 0,
      body: Buffer.from(JSON.stringify(route)),
    }));
    server.respondWith(RequestCode.SEND_MESSAGE_V2, () => ({
      code: 0,
      // An offset message id: store host 10.0.0.1:10911, commit-log offset 7.
      extFields: { msgId: '0A00000100002A9F0000000000000007', queueId: '0', queueOffset: '7' },
    }));
    server.respondWith(RequestCode.SEND_BATCH_MESSAGE, () => ({
      code: 0,
      extFields: { msgId: '0A,0B', queueId: '0', queueOffset: '7' },
    }));
    client = new MQClient({ namesrv: [server.address], timeoutMs: 2000 });
    producer = new Producer(client, { group: 'pg' });
  });
  after(async () => {
    client.remoting.close();
    await server.close();
  });
  return {
    get producer() {
      return producer;
    },
    get requests() {
      return server.requests;
    },
  };
}

describe('durations', () => {
  it('accept up to 2^31 − 1 ms, what setTimeout can hold', () => {
    assert.equal(parseDuration('24d'), 24 * 86_400_000);
    assert.equal(parseDuration('2147483647'), 2 ** 31 - 1);
  });

  it('above it are a usage error, not a timer that fires at once', () => {
    for (const input of ['25d', '2147483648', '600h', '1d600h', '9'.repeat(400)]) {
      assert.throws(
        () => parseDuration(input, '--timeout'),
        (err: unknown) =>
          err instanceof InvalidArgumentError &&
          /--timeout ".*" is above the maximum of 24\.8 days/.test(err.message),
        input,
      );
    }
  });
});

describe('words that name Object built-ins are ordinary keys', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rmq-unit-builtins-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('profiles: "constructor" does not exist, "__proto__" is saved and found', async () => {
    const path = join(dir, 'profiles.json');
    await assert.rejects(activeProfile('constructor', path), NotFoundError);
    await assert.rejects(activeProfile('toString', path), NotFoundError);
    const file = await loadProfiles(path);
    // Variables, not literals: TypeScript types `profiles.constructor` as Object's own member.
    const proto: string = '__proto__';
    const ctor: string = 'constructor';
    file.profiles[proto] = { namesrv: '10.9.9.9:9876' };
    file.profiles[ctor] = { namesrv: '10.8.8.8:9876' };
    await saveProfiles(file, path);
    const again = await loadProfiles(path);
    assert.deepEqual(Object.keys(again.profiles).sort(), ['__proto__', 'constructor']);
    assert.equal(requireProfile(again, '__proto__').namesrv, '10.9.9.9:9876');
    assert.equal((await activeProfile('constructor', path))?.profile.namesrv, '10.8.8.8:9876');
    assert.throws(() => requireProfile(again, 'hasOwnProperty'), NotFoundError);
    // The current profile is looked up the same way: a stale "current" naming a built-in is none.
    await saveProfiles({ current: 'valueOf', profiles: {} }, path);
    assert.equal(await activeProfile(undefined, path), undefined);
  });

  it('--property __proto__=x and constructor=y are properties', () => {
    const props = parseProperties(['__proto__=x', 'constructor=y']);
    assert.ok(Object.hasOwn(props, '__proto__'));
    assert.equal(props.__proto__, 'x');
    assert.equal(props.constructor, 'y');
    assert.equal(Object.getPrototypeOf(props), Object.prototype, 'the prototype is untouched');
  });

  it('{prop.NAME} prints own properties only', () => {
    const render = compileTemplate('[{prop.constructor}|{prop.toString}|{prop.__proto__}|{prop.a}]');
    assert.equal(render(stored({ a: '1' }), 't', 'b'), '[|||1]');
    const wire = decodeProperties('__proto__\u0001p\u0002constructor\u0001c\u0002');
    assert.equal(render(stored(wire), 't', 'b'), '[c||p|]');
  });

  it('NDJSON records and message records keep "__proto__" properties', () => {
    const rec = JSON.parse('{"body":"b","properties":{"__proto__":"x","constructor":"y"}}') as unknown;
    const msg = fromRecord(rec, 't', 'line 1');
    assert.ok(Object.hasOwn(msg.properties!, '__proto__'));
    assert.equal(msg.properties!.__proto__, 'x');
    assert.equal(msg.properties!.constructor, 'y');
    const out = toRecord(stored(decodeProperties('__proto__\u0001x\u0002UNIQ_KEY\u0001U\u0002')));
    assert.ok(Object.hasOwn(out.properties, '__proto__'));
    assert.equal(JSON.stringify(out.properties), '{"__proto__":"x"}');
    assert.deepEqual(JSON.parse(JSON.stringify(out.systemProperties)), { UNIQ_KEY: 'U' });
  });

  it('wire key/value tables keep "__proto__"', () => {
    const table = decodeKvTable(Buffer.from('{"table":{"__proto__":"1","a":"2"}}'));
    assert.ok(Object.hasOwn(table, '__proto__'));
    assert.equal(table.__proto__, '1');
  });

  it('a size or --slo unit must be a unit, not a built-in', () => {
    for (const s of ['1constructor', '2toString', '3__proto__']) {
      assert.throws(() => parseSize(s, '--size'), InvalidArgumentError, s);
    }
    for (const s of ['p99(send)<5constructor', 'max(e2e)<1valueof']) {
      assert.throws(() => parseSlo(s), /a latency needs a unit/, s);
    }
  });

  it('bench merge adds up an error counted under "constructor"', () => {
    const iv = (errors: Record<string, number>): BenchInterval => ({
      index: 0,
      phase: 'measure',
      startMs: 0,
      endMs: 1000,
      sent: 1,
      sendErrors: 0,
      received: 1,
      sendTps: 1,
      receiveTps: 1,
      sendMBps: 0,
      receiveMBps: 0,
      backlog: 0,
      inflight: 0,
      queued: 0,
      errors,
      send: null,
      e2e: null,
      eventLoopP99Ms: 0,
      eventLoopMaxMs: 0,
      cpuPct: 0,
    });
    const out = combineIntervals([iv({ constructor: 1 }), iv({ constructor: 2 })], 0);
    assert.equal(out.errors.constructor, 3);
  });

  describe('the producer', () => {
    const fake = fakeProducer();
    it('sends a user property "__proto__", and "constructor" beside internal ones', async () => {
      const before = fake.requests.length;
      await fake.producer.sendTransaction(
        { topic: 't', body: Buffer.from('x'), properties: parseProperties(['__proto__=x', 'constructor=y']) },
        'commit',
      );
      const req = fake.requests.slice(before).find((r) => r.code === RequestCode.SEND_MESSAGE_V2);
      const props = decodeProperties(req!.extFields.i!);
      assert.equal(props.__proto__, 'x');
      assert.equal(props.constructor, 'y');
    });
  });
});

describe('property separators (U+0001, U+0002) in message fields', () => {
  const fake = fakeProducer();
  // Each would add a DELAY property of its own if it reached the properties string.
  const inject = 'x\u0002DELAY\u00013';
  const cases: { field: RegExp; msg: Partial<OutgoingMessage> }[] = [
    { field: /^message key /, msg: { keys: ['ok', inject] } },
    { field: /^tag /, msg: { tags: inject } },
    { field: /^message group /, msg: { messageGroup: inject } },
    { field: /^property "p" /, msg: { properties: { p: inject } } },
    { field: /^property name /, msg: { properties: { [inject]: 'v' } } },
  ];

  for (const c of cases) {
    it(`are refused in ${c.field.source.slice(1, -1).trim()}, with nothing sent`, async () => {
      const before = fake.requests.length;
      const msg: OutgoingMessage = { topic: 't', body: Buffer.from('x'), ...c.msg };
      const refused = (err: unknown): boolean => {
        assert.ok(err instanceof InvalidArgumentError, String(err));
        assert.match(err.message, c.field);
        assert.match(err.message, /contains \\u0001 or \\u0002/);
        return true;
      };
      await assert.rejects(fake.producer.send(msg), refused);
      await assert.rejects(fake.producer.sendOneway(msg), refused);
      if (!c.msg.messageGroup) await assert.rejects(fake.producer.sendBatch([msg]), refused);
      const sends = fake.requests
        .slice(before)
        .filter((r) => r.code === RequestCode.SEND_MESSAGE_V2 || r.code === RequestCode.SEND_BATCH_MESSAGE);
      assert.deepEqual(sends, []);
    });
  }

  it('are refused in --property, and the same check runs for the flags before anything connects', () => {
    assert.throws(() => parseProperties([`a=${inject}`]), /--property a .*contains/);
    assert.throws(() => checkPropertyStrings({ keys: [inject] }), /message key/);
    assert.doesNotThrow(() => checkPropertyStrings({ keys: ['a b'], tags: 't', properties: { a: '=\t' } }));
  });

  it('in an NDJSON record fail that message as bad input, naming the field', async () => {
    const msg = fromRecord({ body: 'b', tags: inject }, 't', 'line 1');
    await assert.rejects(fake.producer.send(msg), /^InvalidArgumentError: tag "x\\u0002DELAY\\u00013"/);
  });
});

describe('a profile’s security settings stay with its name servers', () => {
  const local: Profile = {
    namesrv: '127.0.0.1:19876;127.0.0.1:19877',
    accessKey: 'ak',
    secretKey: 'sk',
    securityToken: 'tok',
    tls: true,
    tlsInsecure: true,
    timeout: 9000,
  };
  const base = { defaultNamesrv: '127.0.0.1:9876' };
  const current = { name: 'local', profile: local, explicit: false };

  it('apply when its name servers are used (not overridden, or overridden with some of its own)', () => {
    for (const namesrv of [undefined, '127.0.0.1:19877;127.0.0.1:19876', ' 127.0.0.1:19876 ']) {
      const r = resolveConnection({ ...base, namesrv, profile: current });
      assert.equal(r.accessKey, 'ak', String(namesrv));
      assert.equal(r.secretKey, 'sk');
      assert.equal(r.securityToken, 'tok');
      assert.equal(r.tls, true);
      assert.equal(r.tlsInsecure, true);
      assert.equal(r.profile, 'local');
      assert.equal(r.warning, undefined);
    }
    assert.equal(resolveConnection({ ...base, profile: current }).namesrv, local.namesrv);
  });

  it('do not apply when -n / RMQ_NAMESRV / NAMESRV_ADDR name another cluster', () => {
    const r = resolveConnection({
      ...base,
      namesrv: 'prod:9876',
      namesrvSource: 'NAMESRV_ADDR',
      profile: current,
    });
    assert.equal(r.namesrv, 'prod:9876');
    assert.equal(r.accessKey, undefined);
    assert.equal(r.secretKey, undefined);
    assert.equal(r.securityToken, undefined);
    assert.equal(r.tls, false);
    assert.equal(r.tlsInsecure, false);
    assert.equal(r.profile, undefined);
    assert.equal(r.timeoutMs, 9000, 'a timeout is no secret');
    assert.equal(r.warning, undefined, 'no warning for a profile nobody named');
    // One address of another cluster among the profile's is another cluster too.
    assert.equal(
      resolveConnection({ ...base, namesrv: '127.0.0.1:19876;prod:9876', profile: current }).accessKey,
      undefined,
    );
    // With --tls --tls-ca the user's settings hold, and verify.
    const tls = resolveConnection({
      ...base,
      namesrv: 'prod:9876',
      tls: true,
      tlsCa: 'ca.pem',
      profile: current,
    });
    assert.deepEqual([tls.tls, tls.tlsCa, tls.tlsInsecure], [true, 'ca.pem', false]);
  });

  it('a profile named explicitly but overridden says so', () => {
    const r = resolveConnection({
      ...base,
      namesrv: 'prod:9876',
      namesrvSource: 'NAMESRV_ADDR',
      profile: { ...current, explicit: true },
    });
    assert.equal(
      r.warning,
      'profile local is for 127.0.0.1:19876;127.0.0.1:19877, but NAMESRV_ADDR says prod:9876: its credentials and TLS settings are not used',
    );
  });

  it('a profile without name servers is for the default one', () => {
    const creds: Profile = { accessKey: 'ak', secretKey: 'sk' };
    const p = { name: 'creds', profile: creds, explicit: false };
    assert.equal(resolveConnection({ ...base, profile: p }).accessKey, 'ak');
    assert.equal(resolveConnection({ ...base, namesrv: '127.0.0.1:9876', profile: p }).accessKey, 'ak');
    assert.equal(resolveConnection({ ...base, namesrv: '10.0.0.1:9876', profile: p }).accessKey, undefined);
  });

  it('an explicit --tls-ca always verifies', () => {
    const r = resolveConnection({ ...base, tls: true, tlsCa: 'ca.pem', profile: current });
    assert.equal(r.tlsInsecure, false, "the profile's tlsInsecure yields to an explicit CA");
    assert.equal(r.tlsCa, 'ca.pem');
    assert.throws(
      () => resolveConnection({ ...base, tlsCa: 'ca.pem', tlsInsecure: true }),
      (err: unknown) =>
        err instanceof InvalidArgumentError && /--tls-ca and --tls-insecure contradict/.test(err.message),
    );
    // A profile with both verifies too.
    const both = { name: 'b', profile: { tls: true, tlsCa: 'p.pem', tlsInsecure: true }, explicit: false };
    assert.deepEqual([resolveConnection({ ...base, profile: both }).tlsInsecure], [false]);
  });

  it('flags beat the profile; a token goes with the profile’s own access key only', () => {
    const r = resolveConnection({
      ...base,
      accessKey: 'mine',
      secretKey: 'mine-s',
      timeoutMs: 100,
      profile: current,
    });
    assert.deepEqual(
      [r.accessKey, r.secretKey, r.securityToken, r.timeoutMs],
      ['mine', 'mine-s', undefined, 100],
    );
  });

  it('a timeout no timer can hold, written into the file by hand, is bad input', () => {
    const p = { name: 'x', profile: { timeout: 2 ** 31 }, explicit: false };
    assert.throws(() => resolveConnection({ ...base, profile: p }), /profile x has an invalid timeout/);
  });
});

describe('control characters from the wire on a terminal', () => {
  const ESC = '\u001b';
  // Clears the screen, retitles the window, rings the bell, moves the cursor back (C1 CSI).
  const hostile = `a${ESC}[2J${ESC}]0;pwned\u0007b\rc\u0000d\u007fe\u009b31mf\tg`;

  /** A stream that collects what is written; isTTY as given. */
  function sink(isTTY: boolean) {
    const chunks: Buffer[] = [];
    const out = {
      isTTY,
      write(c: string | Uint8Array) {
        chunks.push(Buffer.from(c));
        return true;
      },
      once() {
        return out;
      },
    };
    return { out: out as unknown as NodeJS.WriteStream, bytes: () => Buffer.concat(chunks) };
  }

  it('escapeControls makes C0, DEL and C1 visible, keeps tab, and newline only when asked', () => {
    assert.equal(escapeControls(hostile), 'a\\x1b[2J\\x1b]0;pwned\\x07b\\rc\\x00d\\x7fe\\x9b31mf\tg');
    assert.equal(escapeControls('a\nb'), 'a\\nb');
    assert.equal(escapeControls('a\nb', true), 'a\nb');
    assert.equal(escapeControls('plain ✓ ünïcode — 中文'), 'plain ✓ ünïcode — 中文');
  });

  it('escapeStrings escapes every string of a result, keys too', () => {
    const out = escapeStrings({ a: [`x${ESC}`], n: 1, o: { [`k${ESC}`]: 'v\n' }, z: null });
    assert.deepEqual(out, { a: ['x\\x1b'], n: 1, o: { 'k\\x1b': 'v\\n' }, z: null });
  });

  const msg = stored({ TAGS: `t${ESC}]0;x\u0007`, KEYS: 'k\nfake', p: `v${ESC}[0m` }, `${hostile}\nline2`);

  for (const tty of [true, false]) {
    it(`message output, stdout ${tty ? 'a TTY: escaped' : 'not a TTY: as stored'}`, async () => {
      const formats = ['text', 'detail', 'template'] as const;
      for (const output of formats) {
        const s = sink(tty);
        await writeMessages(
          [{ message: msg, brokerName: `b${ESC}[1m` }],
          { output, template: '{tags}|{keys}|{prop.p}|{broker}|{body}', delimiter: '\\n' },
          s.out,
        );
        const text = s.bytes().toString('utf8');
        assert.equal(text.includes(ESC), !tty, `${output}: ${JSON.stringify(text)}`);
        assert.equal(text.includes('\u009b'), !tty, output);
        if (tty) {
          // The record separator stays a newline; newlines inside values do not forge lines.
          if (output !== 'detail')
            assert.equal(text.split('\n').length, 2, `${output}: ${JSON.stringify(text)}`);
          assert.match(text, /\\x1b\]0;x\\x07/);
        }
      }
      // The detail body keeps its own lines; its header values are one line each.
      const d = sink(tty);
      await writeMessages([{ message: msg, brokerName: 'b' }], { output: 'detail', delimiter: '\\n' }, d.out);
      const detail = d.bytes().toString('utf8');
      assert.match(detail, tty ? /^Keys: +k\\nfake$/m : /^Keys: +k\nfake$/m);
      assert.match(detail, /\nline2\n$/);
    });
  }

  it('raw bodies to a pipe or file are byte-exact; on a terminal escaped, newlines kept unless they end records', async () => {
    const body = Buffer.from([0x61, 0x1b, 0x5b, 0x32, 0x4a, 0x0a, 0x9b, 0xff, 0x00, 0x62]);
    const raw = { ...msg, body };
    const file = sink(false);
    await writeMessages([{ message: raw, brokerName: 'b' }], { output: 'body', delimiter: '\\0' }, file.out);
    assert.deepEqual(file.bytes(), Buffer.concat([body, Buffer.from([0])]));
    const tty = sink(true);
    await writeMessages([{ message: raw, brokerName: 'b' }], { output: 'body', delimiter: '\\n' }, tty.out);
    assert.equal(tty.bytes().toString('utf8'), 'a\\x1b[2J\\n\uFFFD\uFFFD\\x00b\n');
    const nul = sink(true);
    await writeMessages([{ message: raw, brokerName: 'b' }], { output: 'body', delimiter: '\\0' }, nul.out);
    assert.equal(nul.bytes().toString('utf8'), 'a\\x1b[2J\n\uFFFD\uFFFD\\x00b\0');
    // The same renderer serves consume.
    assert.deepEqual(renderBody(body, Buffer.from('\n')), Buffer.concat([body, Buffer.from('\n')]));
  });

  it('consume --output text and template escape with the escape they are given', () => {
    assert.ok(renderText(msg, 't').includes(ESC));
    const line = renderText(msg, 't', escapeControls);
    assert.ok(!line.includes(ESC));
    assert.equal(line.split('\n').length, 2);
    assert.equal(
      compileTemplate('{tags}\\n{keys}', escapeControls)(msg, 't', 'b'),
      't\\x1b]0;x\\x07\nk\\nfake',
    );
  });

  it('send results, tables and error lines escape what came from the wire', () => {
    const failed = {
      index: 1,
      status: 'FAILED',
      msgId: 'ID',
      offsetMsgId: null,
      brokerName: null,
      brokerAddress: null,
      queueId: null,
      queueOffset: null,
      latencyMs: 1,
      attempts: 1,
      error: { kind: 'broker', name: 'BrokerResponseError', message: `remark ${ESC}[2J\nnext` },
    } as unknown as SendRecord;
    assert.ok(formatResult(failed).includes(ESC));
    assert.equal(
      formatResult(failed, undefined, escapeControls),
      'FAILED   msgId=ID  broker: remark \\x1b[2J\\nnext',
    );
    const table = renderTable(['A', 'B'], [[`x${ESC}[2J`, 'two\nlines']], { escape: escapeControls });
    assert.ok(!table.includes(ESC));
    assert.equal(table.split('\n').length, 2, table);
    assert.ok(renderTable(['A'], [[`x${ESC}`]], { escape: (t) => t }).includes(ESC));
  });
});
