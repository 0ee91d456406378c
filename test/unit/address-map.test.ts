/**
 * --broker-address-map: parsing the rules, mapping an advertised address, the precedence of
 * flag, environment and profile, and that the RemotingClient dials the mapped address (but never
 * maps a name server) while callers keep the advertised one.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { formatRule, mapAddress, parseAddressMap, parseRule } from '../../src/core/client/address-map.js';
import { NameServerClient } from '../../src/core/client/namesrv.js';
import { RemotingClient } from '../../src/core/client/remoting-client.js';
import { ConnectionError, InvalidArgumentError } from '../../src/core/errors.js';
import { hintFor } from '../../src/hints.js';
import { resolveConnection } from '../../src/services/profiles.js';

const SRC = '--broker-address-map';

describe('broker address map rules', () => {
  it('parses host:port and host on either side, IPv6 in brackets, case-insensitive hosts', () => {
    assert.deepEqual(parseRule('172.17.0.3:10911=127.0.0.1:20911', SRC), {
      fromHost: '172.17.0.3',
      fromPort: 10911,
      toHost: '127.0.0.1',
      toPort: 20911,
    });
    assert.deepEqual(parseRule('Broker-A.internal=localhost', SRC), {
      fromHost: 'broker-a.internal',
      fromPort: undefined,
      toHost: 'localhost',
      toPort: undefined,
    });
    const v6 = parseRule('[fd00::3]:10911=[::1]', SRC);
    assert.deepEqual(v6, { fromHost: 'fd00::3', fromPort: 10911, toHost: '::1', toPort: undefined });
    assert.equal(formatRule(v6), '[fd00::3]:10911=[::1]');
  });

  it('refuses bad rules with one line naming the source and the rule', () => {
    for (const bad of [
      '',
      'a',
      'a=b=c',
      '=127.0.0.1',
      '10.0.0.1:10911=',
      '10.0.0.1:0=127.0.0.1',
      '10.0.0.1:65536=127.0.0.1',
      '10.0.0.1:x=127.0.0.1',
      'a b=c',
      '10.0.0.1=127.0.0.1:10911', // a whole host onto one port
      '10.0.0.1:10911=10.0.0.1:10911', // onto itself
      '10.0.0.1=10.0.0.1',
      'fd00::3=::1', // IPv6 without brackets is ambiguous
    ]) {
      assert.throws(
        () => parseRule(bad, SRC),
        (err: unknown) =>
          err instanceof InvalidArgumentError &&
          err.message.startsWith(`${SRC}: `) &&
          err.message.includes(`"${bad}"`) &&
          !err.message.includes('\n'),
        bad,
      );
    }
  });

  it('splits values on commas, semicolons and blanks, and refuses the same FROM twice', () => {
    const m = parseAddressMap(
      ['10.0.0.1:10911=127.0.0.1:20911, 10.0.0.2=localhost', '10.0.0.3=h;10.0.0.4=i'],
      SRC,
    );
    assert.equal(m.length, 4);
    assert.deepEqual(parseAddressMap(['  '], SRC), []);
    assert.throws(
      () => parseAddressMap(['10.0.0.1:10911=a', '10.0.0.1:10911=b'], 'RMQ_BROKER_ADDRESS_MAP'),
      /^InvalidArgumentError: RMQ_BROKER_ADDRESS_MAP: 10\.0\.0\.1:10911 is mapped twice/,
    );
    // A host rule and an exact rule for the same host are two different FROMs.
    assert.equal(parseAddressMap(['10.0.0.1=a', '10.0.0.1:10911=b'], SRC).length, 2);
  });

  it('maps an exact rule before a host rule, keeps the port for a host-only TO, and never chains', () => {
    const m = parseAddressMap(['10.0.0.1=gw', '10.0.0.1:10911=127.0.0.1:20911', 'gw=elsewhere'], SRC);
    assert.equal(mapAddress(m, '10.0.0.1:10911'), '127.0.0.1:20911');
    assert.equal(mapAddress(m, '10.0.0.1:10909'), 'gw:10909');
    assert.equal(mapAddress(m, '10.0.0.10:10911'), '10.0.0.10:10911');
    assert.equal(mapAddress(m, 'GW:1'), 'elsewhere:1');
    assert.equal(mapAddress(parseAddressMap(['[fd00::3]=[::1]'], SRC), '[fd00::3]:10911'), '[::1]:10911');
    assert.equal(mapAddress(parseAddressMap(['[fd00::3]=[::1]'], SRC), 'fd00::3:10911'), '[::1]:10911');
    assert.equal(mapAddress([], '10.0.0.1:10911'), '10.0.0.1:10911');
    assert.equal(mapAddress(undefined, 'garbage'), 'garbage');
    assert.equal(mapAddress(m, 'garbage'), 'garbage');
  });
});

describe('broker address map precedence', () => {
  const base = { defaultNamesrv: '127.0.0.1:9876' };
  const profile = {
    name: 'docker',
    explicit: true,
    profile: { namesrv: '127.0.0.1:9876', brokerAddressMap: ['172.17.0.3=127.0.0.1'] },
  };

  it('takes the flag, else the environment, else the profile; whole maps, never merged', () => {
    const flag = resolveConnection({
      ...base,
      brokerAddressMap: ['a=b'],
      brokerAddressMapEnv: 'c=d',
      profile,
    });
    assert.deepEqual(flag.brokerAddressMap, { values: ['a=b'], source: '--broker-address-map' });
    const env = resolveConnection({ ...base, brokerAddressMapEnv: 'c=d', profile });
    assert.deepEqual(env.brokerAddressMap, { values: ['c=d'], source: 'RMQ_BROKER_ADDRESS_MAP' });
    const fromProfile = resolveConnection({ ...base, brokerAddressMapEnv: ' ', profile });
    assert.deepEqual(fromProfile.brokerAddressMap?.values, ['172.17.0.3=127.0.0.1']);
    assert.match(fromProfile.brokerAddressMap!.source, /profile docker/);
    assert.equal(resolveConnection(base).brokerAddressMap, undefined);
  });

  it("leaves a profile's map out when other name servers are given (it describes its own cluster)", () => {
    const r = resolveConnection({ ...base, namesrv: '10.9.9.9:9876', profile });
    assert.equal(r.brokerAddressMap, undefined);
  });
});

describe('RemotingClient with a broker address map', () => {
  /** A client whose sockets go nowhere: the factory records what was dialled and refuses. */
  function recordingClient(map: string[]) {
    const dialled: string[] = [];
    const client = new RemotingClient({
      timeoutMs: 500,
      addressMap: parseAddressMap(map, SRC),
      transportFactory: (host, port) => {
        dialled.push(`${host}:${port}`);
        const s = new net.Socket();
        queueMicrotask(() =>
          s.emit('error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
        );
        return s;
      },
    });
    return { client, dialled };
  }

  it('dials the mapped address and says so, keeping the advertised one as the identity', async () => {
    const { client, dialled } = recordingClient(['127.0.0.2:10911=127.0.0.1:20911']);
    try {
      assert.equal(client.dialAddress('127.0.0.2:10911'), '127.0.0.1:20911');
      await assert.rejects(client.call('127.0.0.2:10911', 105, {}), (err: unknown) => {
        assert.ok(err instanceof ConnectionError);
        assert.equal(err.address, '127.0.0.2:10911');
        assert.equal(err.message, 'connection refused by 127.0.0.1:20911 (mapped from 127.0.0.2:10911)');
        assert.equal(err.reason, 'mapped-broker-unreachable');
        assert.match(hintFor(err) ?? '', /check --broker-address-map/);
        return true;
      });
      await assert.rejects(client.call('127.0.0.3:10911', 105, {}), (err: unknown) => {
        assert.ok(err instanceof ConnectionError);
        assert.equal(err.message, 'connection refused by 127.0.0.3:10911');
        assert.equal(err.reason, 'broker-unreachable');
        assert.match(hintFor(err) ?? '', /--broker-address-map ADVERTISED=REACHABLE/);
        return true;
      });
      assert.deepEqual(dialled, ['127.0.0.1:20911', '127.0.0.3:10911']);
    } finally {
      client.close();
    }
  });

  it('dials name servers as given, even when a rule names their host', async () => {
    const { client, dialled } = recordingClient(['127.0.0.2=127.0.0.1']);
    try {
      const ns = new NameServerClient(client, ['127.0.0.2:9876']);
      await assert.rejects(ns.getClusterInfo(), (err: unknown) => {
        assert.ok(err instanceof ConnectionError);
        assert.equal(err.reason, 'namesrv-unreachable');
        return true;
      });
      await assert.rejects(client.call('127.0.0.2:10911', 105, {}), ConnectionError);
      assert.deepEqual(dialled, ['127.0.0.2:9876', '127.0.0.1:10911']);
    } finally {
      client.close();
    }
  });
});
