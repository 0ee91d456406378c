/**
 * --broker-address-map against a real broker that advertises an address nothing answers at: a
 * 5.x broker of the test's own (`local up` with the test-only --advertise-ip 127.0.0.2) binds
 * 127.0.0.1 only and registers 127.0.0.2:<port> with its name server, as a broker in a container
 * registers its container IP. Without the map, cluster list, send and consume fail at the broker
 * (connection refused, one line with a hint); with it (flag, environment or profile) they work.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ClusterListResult } from '../../src/services/cluster.js';
import { type CliResult, rmq } from '../helpers/cli.js';
import { startCluster, type TestCluster, UP_TIMEOUT_MS } from '../helpers/cluster.js';
import { freeClusterPorts } from '../helpers/ports.js';

const show = (r: CliResult): string => `exit ${r.code}\n${r.stdout}${r.stderr}`;
/** The stderr lines that are the error itself (warnings start with "!"). */
const errorLines = (r: CliResult): string[] => r.stderr.split('\n').filter((l) => l.startsWith('Error:'));

describe('--broker-address-map (a broker advertising 127.0.0.2, listening on 127.0.0.1)', () => {
  let c: TestCluster;
  let advertised: string;
  let map: string[];
  const topic = `addrmap_${Date.now()}`;

  before(
    async () => {
      const { namesrvPort, brokerPort } = await freeClusterPorts();
      c = await startCluster('address-map', namesrvPort, brokerPort, {
        args: ['--advertise-ip', '127.0.0.2'],
      });
      advertised = `127.0.0.2:${brokerPort}`;
      map = ['--broker-address-map', `${advertised}=${c.broker}`];
    },
    { timeout: UP_TIMEOUT_MS + 60_000 },
  );
  after(async () => {
    await c?.down();
  });

  const brokerRow = (r: CliResult) => {
    assert.equal(r.code, 0, show(r));
    const rows = (r.json as ClusterListResult).clusters.flatMap((x) => x.brokers);
    assert.equal(rows.length, 1, show(r));
    return rows[0]!;
  };

  test('cluster list: the name server hands out the advertised address, the map reaches the broker', async () => {
    const without = brokerRow(await rmq(['cluster', 'list', ...c.n, '--json']));
    assert.equal(without.address, advertised);
    assert.equal(without.mappedAddress, undefined);
    assert.equal(without.version, null);
    assert.match(
      without.error ?? '',
      new RegExp(`connection refused by ${advertised.replaceAll('.', '\\.')}$`),
    );

    const withMap = brokerRow(await rmq(['cluster', 'list', ...c.n, ...map, '--json']));
    assert.equal(withMap.address, advertised);
    assert.equal(withMap.mappedAddress, c.broker);
    assert.equal(withMap.error, undefined);
    assert.match(withMap.version ?? '', /^V5_/);

    // A host-only rule, from the environment; the table shows both addresses.
    const text = await rmq(['cluster', 'list', ...c.n], {
      env: { RMQ_BROKER_ADDRESS_MAP: '127.0.0.2=127.0.0.1' },
    });
    assert.equal(text.code, 0, show(text));
    assert.ok(text.stdout.includes(`${advertised} → ${c.broker}`), show(text));
    assert.match(text.stdout, /V5_/);
  });

  test('send fails without the map (one line, a hint) and works with it', async () => {
    const created = await rmq(['topic', 'create', topic, ...c.n, ...map, '--json']);
    assert.equal(created.code, 0, show(created));

    const failed = await rmq(['send', topic, '-b', 'unmapped', ...c.n]);
    assert.notEqual(failed.code, 0, show(failed));
    const lines = errorLines(failed);
    assert.equal(lines.length, 1, show(failed));
    assert.match(lines[0]!, new RegExp(`refused by ${advertised.replaceAll('.', '\\.')}`));
    assert.match(lines[0]!, /--broker-address-map ADVERTISED=REACHABLE/);
    assert.doesNotMatch(failed.stderr, /^\s+at /m);

    const sent = await rmq(['send', topic, '-b', 'mapped', '-k', 'k1', ...c.n, ...map, '--json']);
    assert.equal(sent.code, 0, show(sent));
  });

  test('consume fails without the map and reads the message with it', async () => {
    const args = ['consume', topic, '-g', `${topic}_g`, '--from', 'first', '--output', 'body', ...c.n];
    const failed = await rmq([...args, '--count', '1', '--idle-timeout', '5s']);
    assert.notEqual(failed.code, 0, show(failed));
    assert.equal(failed.stdout, '', show(failed));
    const lines = errorLines(failed);
    assert.equal(lines.length, 1, show(failed));
    assert.match(lines[0]!, new RegExp(`refused by ${advertised.replaceAll('.', '\\.')}`));
    assert.match(lines[0]!, /--broker-address-map/);

    const got = await rmq([...args, '--count', '1', '--idle-timeout', '30s', ...map]);
    assert.equal(got.code, 0, show(got));
    assert.equal(got.stdout.trim(), 'mapped');
  });

  test('a profile carries the map, for its own name server only', async () => {
    const env = { RMQ_PROFILES_FILE: join(c.root, 'profiles.json'), NAMESRV_ADDR: c.namesrv };
    const made = await rmq(['profile', 'create', 'nat', '-n', c.namesrv, ...map, '--json'], { env });
    assert.equal(made.code, 0, show(made));
    const row = brokerRow(await rmq(['cluster', 'list', '--profile', 'nat', '--json'], { env }));
    assert.equal(row.mappedAddress, c.broker);
    assert.match(row.version ?? '', /^V5_/);
    // The flag replaces the profile's map (never merged): an exact rule sending it elsewhere fails.
    const elsewhere = brokerRow(
      await rmq(
        [
          'cluster',
          'list',
          '--profile',
          'nat',
          '--json',
          '--broker-address-map',
          `${advertised}=127.0.0.1:1`,
        ],
        { env },
      ),
    );
    assert.equal(elsewhere.mappedAddress, '127.0.0.1:1');
    assert.match(elsewhere.error ?? '', /refused by 127\.0\.0\.1:1 \(mapped from /);
  });

  test('bad rules: one line, exit 2', async () => {
    for (const [args, env] of [
      [['cluster', 'list', ...c.n, '--broker-address-map', 'nonsense'], {}],
      [['cluster', 'list', ...c.n], { RMQ_BROKER_ADDRESS_MAP: '10.0.0.1=127.0.0.1:1' }],
      [
        ['profile', 'create', 'bad', '--broker-address-map', 'a=b=c'],
        { RMQ_PROFILES_FILE: join(c.root, 'p2.json') },
      ],
    ] as [string[], Record<string, string>][]) {
      const r = await rmq(args, { env });
      assert.equal(r.code, 2, show(r));
      assert.equal(r.stderr.trim().split('\n').length, 1, show(r));
      assert.match(r.stderr, /^Error: (--broker-address-map|RMQ_BROKER_ADDRESS_MAP): /, show(r));
    }
  });
});
