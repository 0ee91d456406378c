import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../src/core/errors.js';
import {
  decodeAllTopicConfig,
  decodeConsumeStats,
  decodeKvTable,
  decodeSubscriptionGroups,
  decodeTopicConfig,
  decodeTopicStats,
} from '../../src/core/protocol/admin.js';
import { decodeClusterInfo, decodeTopicList, decodeTopicRoute } from '../../src/core/protocol/route.js';
import {
  DEFAULT_MAX_JSON_DEPTH,
  mapEntries,
  PairList,
  parseFastjson,
} from '../../src/core/remoting/fastjson.js';

describe('parseFastjson', () => {
  it('reads bare numeric keys, negative ones included, as string keys', () => {
    assert.deepEqual(parseFastjson('{0:"10.0.0.1:10911",1:"10.0.0.2:10911",-1:"x",12:"y"}'), {
      '0': '10.0.0.1:10911',
      '1': '10.0.0.2:10911',
      '-1': 'x',
      '12': 'y',
    });
  });

  it('turns an object with object-valued keys into a PairList that keeps every key', () => {
    const v = parseFastjson(
      '{"offsetTable":{{"brokerName":"RaftNode00","queueId":0,"topic":"topicB"}:11110,' +
        '{"brokerName":"RaftNode00","queueId":1,"topic":"topicB"}:0}}',
    ) as { offsetTable: unknown };
    assert.ok(v.offsetTable instanceof PairList);
    assert.deepEqual(
      [...v.offsetTable],
      [
        [{ brokerName: 'RaftNode00', queueId: 0, topic: 'topicB' }, 11110],
        [{ brokerName: 'RaftNode00', queueId: 1, topic: 'topicB' }, 0],
      ],
    );
  });

  it('keeps plain objects plain when no key is an object', () => {
    const v = parseFastjson('{"a":{"b":1}}') as Record<string, unknown>;
    assert.equal(v instanceof PairList, false);
    assert.equal(Array.isArray(v), false);
  });

  it('parses nesting: object keys inside numeric-keyed maps inside arrays', () => {
    const v = parseFastjson('[{"m":{0:{{"q":1}:{"x":[1,{"y":null}]}}}},[],{}]') as [
      { m: Record<string, PairList> },
      unknown[],
      object,
    ];
    const inner = v[0].m['0']!;
    assert.ok(inner instanceof PairList);
    assert.deepEqual(inner[0], [{ q: 1 }, { x: [1, { y: null }] }]);
    assert.deepEqual(v[1], []);
    assert.deepEqual(v[2], {});
  });

  it('accepts unquoted identifier keys, as fastjson does', () => {
    assert.deepEqual(parseFastjson('{brokerName:"b",$x_1:2}'), { brokerName: 'b', $x_1: 2 });
  });

  it('decodes every escape', () => {
    assert.equal(parseFastjson('"q\\"b\\\\s\\/n\\nr\\rt\\tb\\bf\\f"'), 'q"b\\s/n\nr\rt\tb\bf\f');
  });

  it('decodes \\u escapes, surrogate pairs and raw UTF-8', () => {
    assert.equal(parseFastjson('"\\u00e9\\u4E2D\\ud83d\\ude00\\u0001"'), 'é中😀\u0001');
    assert.deepEqual(parseFastjson(Buffer.from('{"t":"主题-ü-😀"}', 'utf8')), { t: '主题-ü-😀' });
  });

  it('reads numbers: negative, fractional, exponent, and longs below 2^53 exactly', () => {
    assert.deepEqual(
      parseFastjson('[-3,0.5,1e3,-2.5E-2,1795307053664,9007199254740991]'),
      [-3, 0.5, 1000, -0.025, 1795307053664, 9007199254740991],
    );
  });

  const samples = [
    '{"a":[1,2.5,-3e2,true,false,null],"b":{"c":"d","e":{}},"f":[]}',
    ' { "x" : [ 1 , { "y" : "z" } ] , "w" : "\\u0041\\n" } ',
    '[[[]],"",0,-0.0]',
    '"just a string"',
    '{"__proto__":{"polluted":1},"k":"v"}',
  ];
  for (const s of samples) {
    it(`agrees with JSON.parse on ${s.trim().slice(0, 40)}`, () => {
      assert.deepEqual(parseFastjson(s), JSON.parse(s));
    });
  }

  it('keeps a "__proto__" key as data (a valid topic name) without touching the prototype', () => {
    const v = parseFastjson(
      '{"topicConfigTable":{"__proto__":{"topicName":"__proto__"},"T":{"topicName":"T"}}}',
    ) as {
      topicConfigTable: Record<string, unknown>;
    };
    assert.deepEqual(
      mapEntries(v.topicConfigTable).map(([k]) => k),
      ['__proto__', 'T'],
    );
    assert.equal(Object.getPrototypeOf(v.topicConfigTable), Object.prototype);
    assert.equal(({} as Record<string, unknown>).topicName, undefined);
  });

  const garbage = [
    '',
    '{',
    '{"a":}',
    '{"a" 1}',
    '{"a":1,}',
    '[1,]',
    '[1 2]',
    'tru',
    'nul',
    '"unterminated',
    '"bad \\x escape"',
    '"bad \\u12 escape"',
    '{"a":1}x',
    '-',
    '{:1}',
    '<html>',
  ];
  for (const g of garbage) {
    it(`rejects ${JSON.stringify(g)} with ProtocolError`, () => {
      assert.throws(() => parseFastjson(g), ProtocolError);
    });
  }
});

describe('parseFastjson budgets', () => {
  const isError = (reason: string, limit?: number) => (err: unknown) => {
    assert.ok(err instanceof ProtocolError, String(err));
    assert.equal(err.kind, 'protocol');
    assert.equal(err.reason, reason);
    if (limit !== undefined) assert.equal(err.limit, limit);
    return true;
  };
  const nested = (open: string, close: string, depth: number, inner = '1') =>
    `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

  it('reads 512 levels of nesting, as fastjson itself does', () => {
    assert.equal(DEFAULT_MAX_JSON_DEPTH, 512);
    let v = parseFastjson(nested('[', ']', 512));
    for (let i = 0; i < 512; i++) v = (v as unknown[])[0];
    assert.equal(v, 1);
    assert.doesNotThrow(() => parseFastjson(nested('{"a":', '}', 511, '[]')));
  });

  it('refuses a 513th level with ProtocolError json-too-deep, for arrays, objects and object keys', () => {
    assert.throws(() => parseFastjson(nested('[', ']', 513)), isError('json-too-deep', 512));
    assert.throws(() => parseFastjson(nested('{"a":', '}', 513)), isError('json-too-deep', 512));
    assert.throws(() => parseFastjson(`{${nested('{"k":', '}', 513)}:1}`), isError('json-too-deep', 512));
    assert.throws(() => parseFastjson('[[[1]]]', { maxDepth: 2 }), isError('json-too-deep', 2));
  });

  it('refuses 200,000 levels with ProtocolError, not a stack overflow, even unterminated', () => {
    assert.throws(() => parseFastjson(nested('[', ']', 200_000)), isError('json-too-deep', 512));
    assert.throws(() => parseFastjson('['.repeat(200_000)), isError('json-too-deep', 512));
    assert.throws(() => parseFastjson(Buffer.from('{"a":'.repeat(200_000))), isError('json-too-deep'));
  });

  it('refuses a body past the length budget before decoding it', () => {
    assert.throws(() => parseFastjson('[1,2,3]', { maxLength: 6 }), isError('json-too-large', 6));
    assert.throws(
      () => parseFastjson(Buffer.alloc(16 * 1024 * 1024 + 1, 0x20)),
      isError('json-too-large', 16 * 1024 * 1024),
    );
    assert.deepEqual(parseFastjson('[1,2,3]', { maxLength: 7 }), [1, 2, 3]);
  });

  it('says where malformed JSON goes wrong', () => {
    assert.throws(
      () => parseFastjson('{"a":}'),
      (err: unknown) => isError('malformed-json')(err) && (err as ProtocolError).offset === 5,
    );
  });

  it('parses 80,000 strings, escaped ones among them, as JSON.parse does', () => {
    const topicList = Array.from({ length: 80_000 }, (_, i) =>
      i % 1000 === 999 ? `t${i} "quoted" é\n` : `topic_${i}`,
    );
    // The only other backslash at the very end: what made every string search the rest of the text.
    const text = JSON.stringify({ topicList, tail: '\\' });
    assert.deepEqual(parseFastjson(text), JSON.parse(text));
  });

  it('keeps the text around escapes whole', () => {
    for (const v of ['\\', 'a\\', '\\b', 'a\nb\\c', 'x"y"z', '\t\t', 'end\\']) {
      assert.equal(parseFastjson(JSON.stringify(v)), v);
    }
    assert.equal(parseFastjson('"x\\u0041y\\u00e9"'), 'xAyé');
  });
});

describe('mapEntries', () => {
  it('reads plain objects, PairLists and the strict [[k, v], …] form alike', () => {
    assert.deepEqual(mapEntries({ a: 1 }), [['a', 1]]);
    const pl = parseFastjson('{{"q":1}:2}');
    assert.deepEqual(mapEntries(pl), [[{ q: 1 }, 2]]);
    assert.deepEqual(mapEntries([[{ q: 1 }, 2], 'junk', [1]]), [[{ q: 1 }, 2]]);
    assert.deepEqual(mapEntries(null), []);
    assert.deepEqual(mapEntries('x'), []);
  });
});

// ---------------------------------------------------------------------------------------------
// Every captured body goes through the real decoders.

const FIXTURES = new URL('../../../test/fixtures/', import.meta.url);

interface FixtureIndex {
  serverVersion: string;
  broker: string;
  topic: string;
  topicQueues: number;
  group: string;
  files: Record<
    string,
    { kind: string; requestCode: number; requestVersion: number; extFields: Record<string, string> }
  >;
}

const versions = existsSync(FIXTURES)
  ? readdirSync(FIXTURES).filter((d) => existsSync(new URL(`${d}/index.json`, FIXTURES)))
  : [];

it('has fixtures captured from 5.3.3', () => {
  assert.ok(versions.includes('5.3.3'), `fixture versions: ${versions.join(', ')}`);
});

for (const version of versions) {
  const dir = new URL(`${version}/`, FIXTURES);
  const index = JSON.parse(readFileSync(new URL('index.json', dir), 'utf8')) as FixtureIndex;
  const has = (name: string) => name in index.files;
  const body = (name: string) => readFileSync(new URL(name, dir));
  const bodyFiles = Object.keys(index.files).filter((f) => f.endsWith('.body'));

  describe(`bodies captured from ${version}`, () => {
    it('every .body parses as fastjson', () => {
      assert.ok(bodyFiles.length >= 10, `only ${bodyFiles.length} bodies`);
      for (const f of bodyFiles) assert.doesNotThrow(() => parseFastjson(body(f)), f);
    });

    it('GET_BROKER_CLUSTER_INFO: the broker under id 0, bare numeric keys on the wire', () => {
      const raw = body('cluster-info.body');
      assert.match(raw.toString(), /"brokerAddrs":\{0:"/, 'ClusterInfo keeps fastjson bare keys');
      const info = decodeClusterInfo(raw);
      const b = info.brokers.find((x) => x.addrs.get(0) === index.broker);
      assert.ok(b, `no broker with master ${index.broker}`);
      assert.deepEqual(info.clusters.get(b.cluster), [b.brokerName]);
      if (version === '5.3.3') {
        assert.equal(b.cluster, 'DevCluster');
        assert.equal(b.brokerName, 'broker-a');
        assert.deepEqual([...b.addrs], [[0, '127.0.0.1:30911']]);
      }
    });

    for (const name of bodyFiles.filter((f) => f.startsWith('route-'))) {
      it(`GET_ROUTEINFO_BY_TOPIC ${name}: ${index.topicQueues} queues on the broker under id 0`, () => {
        const route = decodeTopicRoute(body(name));
        assert.equal(route.brokers.length, 1);
        assert.equal(route.brokers[0]!.addrs.get(0), index.broker);
        assert.equal(route.queues.length, 1);
        const q = route.queues[0]!;
        assert.equal(q.brokerName, route.brokers[0]!.brokerName);
        assert.equal(q.readQueueNums, index.topicQueues);
        assert.equal(q.writeQueueNums, index.topicQueues);
        assert.equal(q.perm, 6);
        assert.equal(q.topicSysFlag, 0);
      });
    }

    if (version.startsWith('5.') || version >= '4.9.4') {
      it('route JSON is strict unless the request is version 400 without acceptStandardJsonOnly', () => {
        const bare = (name: string) => /"brokerAddrs":\{0:/.test(body(name).toString());
        assert.equal(bare('route-v400.body'), true);
        assert.equal(bare('route-v400-accept-standard.body'), false);
        assert.equal(bare('route-v479.body'), false);
        assert.equal(bare('route-v479-accept-standard.body'), false);
        assert.equal(index.files['route-v400.body']!.requestVersion, 400);
      });
    }

    it('GET_ALL_TOPIC_LIST_FROM_NAMESERVER lists the fixture topic and TBW102', () => {
      const topics = decodeTopicList(body('topic-list.body'));
      assert.ok(topics.includes(index.topic));
      assert.ok(topics.includes('TBW102'));
    });

    it('GET_TOPIC_STATS_INFO: one entry per queue, sorted, offsets 0 (nothing was sent)', () => {
      const stats = decodeTopicStats(body('topic-stats.body'));
      assert.equal(stats.length, index.topicQueues);
      stats.forEach((s, i) => {
        assert.deepEqual(s.mq, { topic: index.topic, brokerName: stats[0]!.mq.brokerName, queueId: i });
        assert.equal(s.minOffset, 0);
        assert.equal(s.maxOffset, 0);
      });
      if (version === '5.3.3') assert.equal(stats[0]!.mq.brokerName, 'broker-a');
    });

    it('GET_CONSUME_STATS: one object-keyed entry per queue for the fixture group', () => {
      const stats = decodeConsumeStats(body('consume-stats.body'));
      assert.equal(stats.consumeTps, 0);
      assert.deepEqual(
        stats.offsets.map((o) => `${o.mq.topic}/${o.mq.queueId}`),
        Array.from({ length: index.topicQueues }, (_, i) => `${index.topic}/${i}`),
      );
      for (const o of stats.offsets) {
        assert.equal(o.brokerOffset, 0);
        assert.equal(o.consumerOffset, 0);
      }
    });

    it('GET_ALL_TOPIC_CONFIG holds the fixture topic and the system topics', () => {
      const configs = decodeAllTopicConfig(body('all-topic-config.body'));
      const t = configs.find((c) => c.topicName === index.topic);
      assert.ok(t);
      assert.equal(t.readQueueNums, index.topicQueues);
      assert.equal(t.writeQueueNums, index.topicQueues);
      assert.equal(t.perm, 6);
      assert.equal(t.order, false);
      assert.equal(t.topicFilterType, 'SINGLE_TAG');
      assert.deepEqual(t.attributes, {});
      const tbw = configs.find((c) => c.topicName === 'TBW102');
      assert.ok(tbw);
      assert.equal(tbw.perm, 7);
    });

    it('GET_ALL_SUBSCRIPTIONGROUP_CONFIG holds the fixture group with the defaults we sent', () => {
      const groups = decodeSubscriptionGroups(body('all-subscription-group-config.body'));
      const g = groups.find((x) => x.groupName === index.group);
      assert.ok(g);
      assert.equal(g.consumeEnable, true);
      assert.equal(g.consumeBroadcastEnable, true);
      assert.equal(g.retryQueueNums, 1);
      assert.equal(g.retryMaxTimes, 16);
      assert.equal(g.brokerId, 0);
      assert.equal(g.whichBrokerWhenConsumeSlowly, 1);
      assert.ok(groups.some((x) => x.groupName === 'TOOLS_CONSUMER'));
      if (version.startsWith('5.')) assert.equal(g.consumeTimeoutMinute, 15);
    });

    it('GET_BROKER_RUNTIME_INFO: string values, the server version among them', () => {
      const kv = decodeKvTable(body('broker-runtime-info.body'));
      assert.equal(kv.brokerVersionDesc, `V${version.replaceAll('.', '_')}`);
      assert.match(kv.commitLogMaxOffset ?? '', /^\d+$/);
      assert.ok(Object.values(kv).every((v) => typeof v === 'string'));
      if (version === '5.3.3') assert.equal(kv.brokerVersion, '479');
    });

    if (has('topic-config.body')) {
      it('GET_TOPIC_CONFIG (5.x): the fixture topic config', () => {
        const t = decodeTopicConfig(parseFastjson(body('topic-config.body')));
        assert.deepEqual(t, {
          topicName: index.topic,
          readQueueNums: index.topicQueues,
          writeQueueNums: index.topicQueues,
          perm: 6,
          topicFilterType: 'SINGLE_TAG',
          topicSysFlag: 0,
          order: false,
          attributes: {},
        });
      });
    }
  });
}
