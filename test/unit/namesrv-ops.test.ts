/**
 * The pieces of `namesrv config|kv` and `broker config diff --defaults` that need no server: the
 * KV codecs' wire fields and answers, the shared config planning, and reading what
 * `BrokerStartup -p` prints.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deleteKvConfigHeader } from '../../src/core/protocol/delete-kv-config.js';
import {
  decodeKvConfigValue,
  GET_KV_CONFIG_ACCEPT,
  getKvConfigHeader,
} from '../../src/core/protocol/get-kv-config.js';
import {
  decodeKvList,
  GET_KVLIST_BY_NAMESPACE_ACCEPT,
  getKvListByNamespaceHeader,
} from '../../src/core/protocol/get-kvlist-by-namespace.js';
import { ResponseCode } from '../../src/core/remoting/codes.js';
import { type RemotingCommand, SerializeType } from '../../src/core/remoting/command.js';
import { machineDependentKeys, parsePrintedConfig } from '../../src/local/defaults.js';
import { versionOfDesc } from '../../src/services/broker.js';
import { diffConfigs, parseAssignments, planChanges, refusedKeys } from '../../src/services/config-plan.js';

const response = (code: number, extFields: Record<string, string>, body?: string): RemotingCommand => ({
  code,
  language: 0,
  version: 479,
  opaque: 1,
  flag: 1,
  extFields,
  body: body === undefined ? undefined : Buffer.from(body),
  serializeType: SerializeType.JSON,
});

describe('KV config codecs', () => {
  it('requests carry namespace and key', () => {
    assert.deepEqual(getKvConfigHeader('NS', 'k'), { namespace: 'NS', key: 'k' });
    assert.deepEqual(deleteKvConfigHeader('NS', 'k'), { namespace: 'NS', key: 'k' });
    assert.deepEqual(getKvListByNamespaceHeader('NS'), { namespace: 'NS' });
  });

  it('a missing key or namespace is QUERY_NOT_FOUND, accepted and read as absent', () => {
    assert.ok(GET_KV_CONFIG_ACCEPT.includes(ResponseCode.QUERY_NOT_FOUND));
    assert.ok(GET_KVLIST_BY_NAMESPACE_ACCEPT.includes(ResponseCode.QUERY_NOT_FOUND));
    assert.equal(decodeKvConfigValue(response(ResponseCode.QUERY_NOT_FOUND, {})), undefined);
    assert.equal(decodeKvConfigValue(response(ResponseCode.SUCCESS, { value: 'v' })), 'v');
    assert.equal(decodeKvList(response(ResponseCode.QUERY_NOT_FOUND, {})), undefined);
    assert.deepEqual(
      decodeKvList(response(ResponseCode.SUCCESS, {}, '{"table":{"a":"1","__proto__":"x"}}')),
      {
        a: '1',
        ['__proto__']: 'x',
      },
    );
    assert.deepEqual(decodeKvList(response(ResponseCode.SUCCESS, {}, '{"table":{}}')), {});
  });
});

describe('config planning shared by brokers and name servers', () => {
  const config = new Map([
    ['waitSecondsForService', '45'],
    ['orderMessageEnable', 'false'],
    ['configBlackList', 'configBlackList;configStorePath;kvConfigPath'],
  ]);
  const o = {
    who: 'name server x',
    listCommand: 'rmq namesrv config get',
    refused: refusedKeys(['rocketmqHome'], config),
    hotKeys: { orderMessageEnable: 'per route request' },
  };

  it('plans old → new, keeps unchanged keys apart, marks run-time keys', () => {
    const p = planChanges(
      config,
      parseAssignments(['orderMessageEnable=true', 'waitSecondsForService=45']),
      o,
    );
    assert.deepEqual(p.unchanged, ['waitSecondsForService']);
    assert.deepEqual(p.changes, [
      {
        key: 'orderMessageEnable',
        old: 'false',
        new: 'true',
        appliesAtRunTime: true,
        readAt: 'per route request',
      },
    ]);
  });

  it('refuses black-listed, unknown and mistyped keys before anything is sent', () => {
    for (const a of [
      'kvConfigPath=/x',
      'rocketmqHome=/x',
      'nope=1',
      'waitSecondsForService=soon',
      'orderMessageEnable=yes',
    ]) {
      assert.throws(() => planChanges(config, parseAssignments([a]), o), { kind: 'invalid-argument' }, a);
    }
    assert.throws(() => parseAssignments([]), { kind: 'invalid-argument' });
    assert.throws(() => parseAssignments(['=1']), { kind: 'invalid-argument' });
  });

  it('diff lists differing keys and one-sided ones, skipping what it is told to', () => {
    const a = new Map([
      ['x', '1'],
      ['y', '2'],
      ['port', '1'],
    ]);
    const b = new Map([
      ['x', '1'],
      ['y', '3'],
      ['z', '4'],
      ['port', '2'],
    ]);
    assert.deepEqual(
      diffConfigs(a, b, (k) => k === 'port'),
      {
        differences: [
          { key: 'y', a: '2', b: '3' },
          { key: 'z', a: null, b: '4' },
        ],
        compared: 3,
      },
    );
  });
});

describe('defaults printed by BrokerStartup -p', () => {
  it('reads the console lines of both the 5.x and the 4.x logger; a repeated key keeps the last', () => {
    const out = [
      '07:58:30,863 |-INFO in LoggerContext - This is logback-classic version 1.3.5-rocketmq',
      '2026-12-02 15:58:33 INFO main - listenPort=6888',
      '2026-12-02 15:58:33 INFO main - brokerIP1=192.0.2.2',
      '2026-12-02 15:58:33 INFO main - dLegerGroup=',
      '2026-12-02 15:58:33 INFO main - listenPort=10911',
      '2026-12-02 07:59:36 INFO main - deleteWhen=04\r',
      'some other line=1',
    ].join('\n');
    assert.deepEqual(
      [...parsePrintedConfig(out)],
      [
        ['listenPort', '10911'],
        ['brokerIP1', '192.0.2.2'],
        ['dLegerGroup', ''],
        ['deleteWhen', '04'],
      ],
    );
  });

  it('keys that differ between two machines are machine-dependent', () => {
    assert.deepEqual(
      machineDependentKeys(
        new Map([
          ['a', '1'],
          ['threads', '2'],
          ['home', '/x'],
        ]),
        new Map([
          ['a', '1'],
          ['threads', '6'],
          ['home', '/y'],
        ]),
      ),
      ['home', 'threads'],
    );
  });

  it('the broker version comes from brokerVersionDesc', () => {
    assert.equal(versionOfDesc('V5_3_3'), '5.3.3');
    assert.equal(versionOfDesc('V4_9_7_SNAPSHOT'), '4.9.7');
    assert.equal(versionOfDesc('garbage'), undefined);
    assert.equal(versionOfDesc(undefined), undefined);
  });
});
