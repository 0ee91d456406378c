import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  decodeSubscriptionGroups,
  defaultSubscriptionGroup,
  type SubscriptionGroupConfig,
  type TopicConfig,
} from '../../src/core/protocol/admin.js';
import { attributeChanges, parseIncludes } from '../../src/services/metadata/cluster.js';
import type { MetadataDocument } from '../../src/services/metadata/document.js';
import {
  type ClusterState,
  exportDocument,
  groupConfigFields,
  groupValues,
} from '../../src/services/metadata/model.js';
import {
  formatMetadataDocument,
  MAX_DOCUMENT_BYTES,
  parseMetadataDocument,
  readMetadataFile,
} from '../../src/services/metadata/parse.js';
import { planMetadata, type PlanOptions } from '../../src/services/metadata/plan.js';

const HEAD = 'apiVersion: rmq/v1\nkind: ClusterMetadata\n';

function topicConfig(name: string, over: Partial<TopicConfig> = {}): TopicConfig {
  return {
    topicName: name,
    readQueueNums: 8,
    writeQueueNums: 8,
    perm: 6,
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: 0,
    order: false,
    attributes: {},
    ...over,
  };
}

/** A 5.x group config as a 5.3.3 broker sends it. */
function group5(name: string, over: Partial<SubscriptionGroupConfig> = {}): SubscriptionGroupConfig {
  return {
    ...defaultSubscriptionGroup(name),
    consumeTimeoutMinute: 15,
    groupRetryPolicy: { type: 'CUSTOMIZED' },
    groupSysFlag: 0,
    attributes: {},
    ...over,
  };
}

/** A 4.9 group config: none of the 5.x fields. */
function group4(name: string, over: Partial<SubscriptionGroupConfig> = {}): SubscriptionGroupConfig {
  const g: SubscriptionGroupConfig = { ...defaultSubscriptionGroup(name), ...over };
  delete g.consumeMessageOrderly;
  return g;
}

function state(
  v5: boolean,
  topics: Record<string, Record<string, TopicConfig>>,
  groups: Record<string, Record<string, SubscriptionGroupConfig>>,
  brokers = ['broker-a'],
): ClusterState {
  return {
    cluster: 'DefaultCluster',
    masters: brokers.map((b, i) => ({
      cluster: 'DefaultCluster',
      brokerName: b,
      address: `127.0.0.1:${10911 + i}`,
      version: v5 ? '5.3.3' : '4.9.7',
      v5,
    })),
    topics: new Map(Object.entries(topics).map(([t, byB]) => [t, new Map(Object.entries(byB))])),
    groups: new Map(Object.entries(groups).map(([g, byB]) => [g, new Map(Object.entries(byB))])),
    reserved: new Set(['DefaultCluster', ...brokers]),
  };
}

const ALL: PlanOptions = { topics: true, groups: true, system: false, prune: false };

function parseError(text: string): string {
  try {
    parseMetadataDocument(text, 'c.yaml');
  } catch (err) {
    assert.ok(err instanceof InvalidArgumentError, `an InvalidArgumentError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), `one line: ${err.message}`);
    return err.message;
  }
  assert.fail('the document was accepted');
}

describe('reading a metadata document', () => {
  test('a valid YAML document and the same as JSON read alike', () => {
    const yaml = `${HEAD}topics:\n  orders:\n    readQueues: 8\n    perm: r\n    messageType: FIFO\ngroups:\n  billing:\n    retryMaxTimes: 3\n    retryPolicy: {type: EXPONENTIAL, initial: 1000}\n`;
    const doc = parseMetadataDocument(yaml, 'c.yaml');
    assert.deepEqual(doc.topics, { orders: { readQueues: 8, perm: 'r', messageType: 'FIFO' } });
    assert.deepEqual(doc.groups, {
      billing: { retryMaxTimes: 3, retryPolicy: { type: 'EXPONENTIAL', initial: 1000 } },
    });
    assert.deepEqual(parseMetadataDocument(JSON.stringify(doc), 'c.json'), doc);
  });

  test('a syntax error names the line and column', () => {
    assert.match(parseError(`${HEAD}topics:\n  a: [1, 2\n  b: 3\n`), /^c\.yaml:5:\d+: /);
  });

  test('an unknown field names its line, column and the field meant', () => {
    assert.equal(
      parseError(`${HEAD}groups:\n  g:\n    retryMaxTime: 3\n`),
      'c.yaml:5:5: groups.g.retryMaxTime: unknown field "retryMaxTime" (did you mean "retryMaxTimes"?)',
    );
  });

  test('a value out of range, of the wrong type, or a duplicate key is refused where it is', () => {
    assert.match(
      parseError(`${HEAD}topics:\n  a:\n    readQueues: 0\n`),
      /^c\.yaml:5:17: topics\.a\.readQueues: must be a whole number from 1 to 1024/,
    );
    assert.match(parseError(`${HEAD}topics:\n  a:\n    order: "yes"\n`), /^c\.yaml:5:12: .*true or false/);
    assert.match(parseError(`${HEAD}topics:\n  a: {}\n  a: {}\n`), /^c\.yaml:5:3: .*unique/);
    assert.match(parseError(`${HEAD}topics:\n  "bad name": {}\n`), /^c\.yaml:4:3: .*invalid topic name/);
    assert.match(
      parseError('apiVersion: rmq/v2\nkind: ClusterMetadata\n'),
      /^c\.yaml:1:13: apiVersion: must be "rmq\/v1"/,
    );
    assert.match(
      parseError(`${HEAD}acl:\n  users:\n    alice:\n      type: Root\n`),
      /^c\.yaml:6:13: acl\.users\.alice\.type: must be one of Super, Normal/,
    );
    assert.match(
      parseError(`${HEAD}acl:\n  policies:\n    alice: []\n`),
      /^c\.yaml:5:5: .*must be written User:<name>/,
    );
    assert.match(
      parseError(
        `${HEAD}acl:\n  policies:\n    User:alice:\n      - {resource: "Queue:x", actions: [Pub], decision: Allow}\n`,
      ),
      /^c\.yaml:6:.*invalid resource "Queue:x"/,
    );
    assert.match(parseError(''), /is empty/);
  });

  test('aliases that expand past the budget are refused (billion laughs)', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const p = String.fromCharCode(96 + i);
      const c = String.fromCharCode(97 + i);
      levels.push(`${c}: &${c} [${Array(9).fill(`*${p}`).join(',')}]`);
    }
    const started = Date.now();
    assert.match(parseError(`${levels.join('\n')}\n`), /aliases expand more than \d+ times/);
    assert.ok(Date.now() - started < 2000);
  });

  test('deep nesting is refused before the parser recurses into it', () => {
    const started = Date.now();
    assert.match(
      parseError(`${'['.repeat(200_000)}${']'.repeat(200_000)}`),
      /^c\.yaml:1:17: nested too deeply/,
    );
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });

  test('an oversize file is refused unread; a missing one in one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmq-meta-unit-'));
    try {
      const big = join(dir, 'big.yaml');
      writeFileSync(big, `${HEAD}# ${'x'.repeat(MAX_DOCUMENT_BYTES)}\n`);
      assert.throws(() => readMetadataFile(big), /big\.yaml: \d+ bytes, over the 4 MiB/);
      assert.throws(() => readMetadataFile(join(dir, 'none.yaml')), /cannot read .*none\.yaml: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('schemas/metadata-document.json and the reader agree', () => {
  const schema = JSON.parse(
    readFileSync(fileURLToPath(new URL('../../../schemas/metadata-document.json', import.meta.url)), 'utf8'),
  ) as object;
  const validate = new Ajv({ strict: true, allErrors: true }).compile(schema);
  const cases: [string, unknown][] = [
    ['minimal', { apiVersion: 'rmq/v1', kind: 'ClusterMetadata' }],
    [
      'full',
      {
        apiVersion: 'rmq/v1',
        kind: 'ClusterMetadata',
        metadata: { source: { cluster: 'c', namesrv: 'n:1', brokerVersion: null }, exportedAt: 'x' },
        scope: { prefix: 'app_' },
        topics: {
          app_t: {
            readQueues: 4,
            writeQueues: 4,
            perm: 'rw',
            order: false,
            messageType: 'FIFO',
            attributes: { 'cleanup.policy': 'DELETE' },
            brokers: { 'broker-a': {}, 'broker-b': { readQueues: 2 } },
          },
        },
        groups: {
          app_g: {
            retryMaxTimes: 3,
            broadcast: false,
            orderly: true,
            retryPolicy: { type: 'CUSTOMIZED', next: [1000, 2000] },
            brokers: ['broker-a'],
          },
        },
      },
    ],
    ['wrong apiVersion', { apiVersion: 'v1', kind: 'ClusterMetadata' }],
    ['unknown top field', { apiVersion: 'rmq/v1', kind: 'ClusterMetadata', extra: 1 }],
    [
      'acl',
      {
        apiVersion: 'rmq/v1',
        kind: 'ClusterMetadata',
        acl: {
          users: { alice: { type: 'Normal', status: 'enable', password: 's3cret' }, bob: {} },
          policies: {
            'User:alice': [
              {
                resource: 'Topic:orders',
                actions: ['Pub', 'Sub'],
                decision: 'Allow',
                sourceIps: ['10.0.0.0/8'],
              },
            ],
          },
        },
      },
    ],
    [
      'acl empty actions',
      {
        apiVersion: 'rmq/v1',
        kind: 'ClusterMetadata',
        acl: { policies: { 'User:a': [{ resource: '*', actions: [], decision: 'Allow' }] } },
      },
    ],
    [
      'acl bad decision',
      {
        apiVersion: 'rmq/v1',
        kind: 'ClusterMetadata',
        acl: { policies: { 'User:a': [{ resource: '*', actions: ['Pub'], decision: 'allow' }] } },
      },
    ],
    [
      'acl unknown user field',
      { apiVersion: 'rmq/v1', kind: 'ClusterMetadata', acl: { users: { a: { secret: 'x' } } } },
    ],
    ['unknown group field', { apiVersion: 'rmq/v1', kind: 'ClusterMetadata', groups: { g: { retries: 1 } } }],
    [
      'fractional queues',
      { apiVersion: 'rmq/v1', kind: 'ClusterMetadata', topics: { t: { readQueues: 1.5 } } },
    ],
    [
      'too many queues',
      { apiVersion: 'rmq/v1', kind: 'ClusterMetadata', topics: { t: { writeQueues: 2000 } } },
    ],
    ['bad perm', { apiVersion: 'rmq/v1', kind: 'ClusterMetadata', topics: { t: { perm: 'RW-' } } }],
    ['bad type', { apiVersion: 'rmq/v1', kind: 'ClusterMetadata', topics: { t: { messageType: 'fifo' } } }],
    [
      'message.type attr',
      {
        apiVersion: 'rmq/v1',
        kind: 'ClusterMetadata',
        topics: { t: { attributes: { 'message.type': 'FIFO' } } },
      },
    ],
    [
      'numeric attr',
      { apiVersion: 'rmq/v1', kind: 'ClusterMetadata', topics: { t: { attributes: { 'reserve.time': 3 } } } },
    ],
    ['bad topic name', { apiVersion: 'rmq/v1', kind: 'ClusterMetadata', topics: { 'a b': {} } }],
    ['empty brokers', { apiVersion: 'rmq/v1', kind: 'ClusterMetadata', groups: { g: { brokers: [] } } }],
    [
      'bad policy',
      { apiVersion: 'rmq/v1', kind: 'ClusterMetadata', groups: { g: { retryPolicy: { type: 'X' } } } },
    ],
    [
      'policy field of the other type',
      {
        apiVersion: 'rmq/v1',
        kind: 'ClusterMetadata',
        groups: { g: { retryPolicy: { type: 'CUSTOMIZED', initial: 1 } } },
      },
    ],
    [
      'negative retries',
      { apiVersion: 'rmq/v1', kind: 'ClusterMetadata', groups: { g: { retryMaxTimes: -1 } } },
    ],
    ['bad prefix', { apiVersion: 'rmq/v1', kind: 'ClusterMetadata', scope: { prefix: 'a b' } }],
  ];
  for (const [name, doc] of cases) {
    test(name, () => {
      let reader = true;
      try {
        parseMetadataDocument(JSON.stringify(doc), 'c.json');
      } catch {
        reader = false;
      }
      assert.equal(
        reader,
        validate(doc),
        `reader ${reader ? 'accepts' : 'refuses'}, schema ${ajvVerdict(validate)}`,
      );
    });
  }
  function ajvVerdict(v: { errors?: unknown }): string {
    return v.errors ? `refuses: ${JSON.stringify(v.errors)}` : 'accepts';
  }
});

describe('export', () => {
  const s = state(
    true,
    {
      orders: { 'broker-a': topicConfig('orders', { attributes: { 'message.type': 'FIFO' } }) },
      TBW102: { 'broker-a': topicConfig('TBW102') },
      '%RETRY%billing': { 'broker-a': topicConfig('%RETRY%billing') },
      DefaultCluster: { 'broker-a': topicConfig('DefaultCluster') },
    },
    {
      billing: { 'broker-a': group5('billing', { retryMaxTimes: 3 }) },
      TOOLS_CONSUMER: { 'broker-a': group5('TOOLS_CONSUMER') },
    },
  );
  const o = { topics: true, groups: true, system: false, namesrv: 'n:9876', exportedAt: 'now' };

  test('leaves system topics and groups out unless asked, and writes every field', () => {
    const doc = exportDocument(s, o);
    assert.deepEqual(Object.keys(doc.topics!), ['orders']);
    assert.deepEqual(doc.topics!.orders, {
      readQueues: 8,
      writeQueues: 8,
      perm: 'rw',
      order: false,
      messageType: 'FIFO',
    });
    assert.deepEqual(Object.keys(doc.groups!), ['billing']);
    assert.equal(doc.groups!.billing!.retryMaxTimes, 3);
    assert.deepEqual(doc.groups!.billing!.retryPolicy, { type: 'CUSTOMIZED' });
    assert.equal(doc.metadata?.source?.brokerVersion, '5.3.3');
    const all = exportDocument(s, { ...o, system: true });
    assert.deepEqual(Object.keys(all.topics!).sort(), [
      '%RETRY%billing',
      'DefaultCluster',
      'TBW102',
      'orders',
    ]);
  });

  test('a 4.9 export has none of the 5.x fields', () => {
    const doc = exportDocument(
      state(false, { t: { 'broker-a': topicConfig('t') } }, { g: { 'broker-a': group4('g') } }),
      o,
    );
    assert.deepEqual(doc.topics!.t, { readQueues: 8, writeQueues: 8, perm: 'rw', order: false });
    assert.equal('orderly' in doc.groups!.g!, false);
    assert.equal('retryPolicy' in doc.groups!.g!, false);
  });

  test('per-broker placement only where the brokers differ', () => {
    const two = state(
      true,
      {
        same: { 'broker-a': topicConfig('same'), 'broker-b': topicConfig('same') },
        differs: {
          'broker-a': topicConfig('differs'),
          'broker-b': topicConfig('differs', { readQueueNums: 4 }),
        },
        one: { 'broker-b': topicConfig('one') },
      },
      {},
      ['broker-a', 'broker-b'],
    );
    const doc = exportDocument(two, o);
    assert.equal(doc.topics!.same!.brokers, undefined);
    assert.deepEqual(doc.topics!.differs!.brokers, { 'broker-a': {}, 'broker-b': { readQueues: 4 } });
    assert.deepEqual(doc.topics!.one!.brokers, { 'broker-b': {} });
    // What was exported plans to nothing against the same cluster, through the text too.
    const text = formatMetadataDocument(doc, 'yaml');
    assert.equal(planMetadata(parseMetadataDocument(text, 'c.yaml'), two, ALL).plan.drift, 0);
  });

  test('the written document reads back as itself, YAML and JSON', () => {
    const doc = exportDocument(s, { ...o, system: true, prefix: undefined });
    assert.deepEqual(parseMetadataDocument(formatMetadataDocument(doc, 'yaml'), 'c.yaml'), doc);
    assert.deepEqual(parseMetadataDocument(formatMetadataDocument(doc, 'json'), 'c.json'), doc);
    assert.equal(planMetadata(doc, s, { ...ALL, system: true }).plan.drift, 0);
  });
});

describe('plan', () => {
  const doc = (
    topics: MetadataDocument['topics'],
    groups: MetadataDocument['groups'] = {},
  ): MetadataDocument => ({
    apiVersion: 'rmq/v1',
    kind: 'ClusterMetadata',
    topics,
    groups,
  });

  test('create, update with old → new, extra; fields left out are not compared', () => {
    const s = state(
      true,
      { a: { 'broker-a': topicConfig('a') }, stray: { 'broker-a': topicConfig('stray') } },
      { g: { 'broker-a': group5('g') } },
    );
    const { plan } = planMetadata(
      doc({ a: { readQueues: 16 }, fresh: { messageType: 'DELAY' } }, { g: { retryMaxTimes: 3 } }),
      s,
      ALL,
    );
    assert.deepEqual(
      plan.items.map((i) => [i.action, i.kind, i.name]),
      [
        ['update', 'topic', 'a'],
        ['create', 'topic', 'fresh'],
        ['update', 'group', 'g'],
        ['extra', 'topic', 'stray'],
      ],
    );
    assert.deepEqual(plan.items[0]!.changes, [
      { field: 'readQueues', old: 8, new: 16, brokers: ['broker-a'] },
    ]);
    assert.deepEqual(plan.items[2]!.changes, [
      { field: 'retryMaxTimes', old: 16, new: 3, brokers: ['broker-a'] },
    ]);
    assert.ok(plan.items[1]!.changes.some((c) => c.field === 'messageType' && c.new === 'DELAY'));
    assert.equal(plan.drift, 4);
    assert.equal(
      planMetadata(doc({ a: {}, fresh: {} }), s, { ...ALL, prune: true }).plan.items.at(-1)!.action,
      'delete',
    );
  });

  test('the same document against a cluster that has it: no drift', () => {
    const s = state(true, { a: { 'broker-a': topicConfig('a', { readQueueNums: 16 }) } }, {});
    assert.equal(planMetadata(doc({ a: { readQueues: 16, perm: 'rw' } }), s, ALL).plan.drift, 0);
  });

  test('5.x fields on a 4.9 broker are reported as unsupported, never drift', () => {
    const s = state(false, { a: { 'broker-a': topicConfig('a') } }, { g: { 'broker-a': group4('g') } });
    const { plan, topics } = planMetadata(
      doc({ a: { readQueues: 8, messageType: 'FIFO' } }, { g: { orderly: true, retryMaxTimes: 16 } }),
      s,
      ALL,
    );
    assert.equal(plan.drift, 0);
    assert.deepEqual(
      plan.unsupported.map((u) => `${u.kind} ${u.name} ${u.field} ${u.version}`),
      ['topic a messageType 4.9.7', 'group g orderly 4.9.7'],
    );
    assert.equal(topics.size, 0);
    // A create on 4.9 sends none of them either.
    const fresh = planMetadata(doc({ b: { messageType: 'FIFO' } }), s, ALL);
    assert.equal(fresh.topics.get('b')![0]!.attributes, undefined);
    assert.equal(fresh.plan.unsupported.length, 1);
  });

  test('a prefix scopes extras and prune to its names; system names are never extras', () => {
    const s = state(
      true,
      {
        app_a: { 'broker-a': topicConfig('app_a') },
        app_old: { 'broker-a': topicConfig('app_old') },
        other: { 'broker-a': topicConfig('other') },
        TBW102: { 'broker-a': topicConfig('TBW102') },
      },
      {},
    );
    const { plan } = planMetadata(doc({ app_a: {} }), s, { ...ALL, prefix: 'app_', prune: true });
    assert.deepEqual(
      plan.items.map((i) => `${i.action} ${i.name}`),
      ['delete app_old'],
    );
  });

  test('a retry policy compares only the fields the document names', () => {
    const cur = group5('g', {
      groupRetryPolicy: { type: 'CUSTOMIZED', customizedRetryPolicy: { next: [1000, 5000] } },
    });
    const s = state(true, {}, { g: { 'broker-a': cur } });
    assert.equal(planMetadata(doc({}, { g: { retryPolicy: { type: 'CUSTOMIZED' } } }), s, ALL).plan.drift, 0);
    const { plan } = planMetadata(
      doc({}, { g: { retryPolicy: { type: 'EXPONENTIAL', initial: 2000 } } }),
      s,
      ALL,
    );
    assert.equal(plan.items[0]!.changes[0]!.field, 'retryPolicy');
    // What is sent keeps the broker's own policy fields the document leaves out.
    assert.deepEqual(groupConfigFields({ retryPolicy: { type: 'CUSTOMIZED' } }, true, cur).groupRetryPolicy, {
      type: 'CUSTOMIZED',
      customizedRetryPolicy: { next: [1000, 5000] },
    });
    assert.deepEqual(groupConfigFields({ retryPolicy: { type: 'CUSTOMIZED' } }, true).groupRetryPolicy, {
      type: 'CUSTOMIZED',
    });
    assert.deepEqual(groupConfigFields({ orderly: true, retryMaxTimes: 2 }, false), { retryMaxTimes: 2 });
  });

  test('a broker the document names that is not a master here is a note, not a failure', () => {
    const s = state(true, {}, {});
    const { plan } = planMetadata(doc({ t: { brokers: { 'broker-z': {}, 'broker-a': {} } } }), s, ALL);
    assert.deepEqual(
      plan.items.map((i) => `${i.action} ${i.brokers.join(',')}`),
      ['create broker-a'],
    );
    assert.match(plan.notes[0]!, /broker-z is not a master/);
  });
});

test('attribute changes: + for new or changed, - for removed', () => {
  assert.deepEqual(attributeChanges({ a: '1', b: '2' }, { a: '1', b: '3', c: '4' }), ['+b=3', '+c=4']);
  assert.deepEqual(attributeChanges({ a: '1' }, {}), ['-a']);
});

test('--include: acl is taken; unknown parts are refused', () => {
  assert.deepEqual(parseIncludes(['topics,acl']), {
    topics: true,
    groups: false,
    acl: true,
    skipped: [],
  });
  assert.throws(() => parseIncludes(['topics,queues']), /unknown part "queues"/);
});

test("groups as real brokers send them: 4.9.7's have no 5.x fields, 5.3.3's do", () => {
  const fixture = (v: string) =>
    decodeSubscriptionGroups(
      readFileSync(
        fileURLToPath(
          new URL(`../../../test/fixtures/${v}/all-subscription-group-config.body`, import.meta.url),
        ),
      ),
    ).find((g) => g.groupName === 'fixture_group')!;
  assert.deepEqual(groupValues(fixture('4.9.7')), {
    retryMaxTimes: 16,
    retryQueueNums: 1,
    broadcast: true,
    consumeEnable: true,
    consumeFromMinEnable: true,
    whichBrokerWhenConsumeSlowly: 1,
    notifyConsumerIdsChangedEnable: true,
    brokerId: 0,
  });
  const five = groupValues(fixture('5.3.3'));
  assert.equal(five.orderly, false);
  assert.equal(five.consumeTimeoutMinute, 15);
  assert.deepEqual(five.retryPolicy, { type: 'CUSTOMIZED' });
});

test('a change of an attribute fixed at creation is planned with a note that the broker refuses it', () => {
  const s = state(
    true,
    { t: { 'broker-a': topicConfig('t', { attributes: { 'cleanup.policy': 'DELETE' } }) } },
    {},
  );
  const d: MetadataDocument = {
    apiVersion: 'rmq/v1',
    kind: 'ClusterMetadata',
    topics: { t: { attributes: { 'cleanup.policy': 'COMPACTION' } } },
  };
  const { plan } = planMetadata(d, s, ALL);
  assert.equal(plan.items[0]!.changes[0]!.field, 'attributes');
  assert.deepEqual(plan.notes, [
    'topic t: cleanup.policy cannot change once a topic exists: the broker will refuse it',
  ]);
});
