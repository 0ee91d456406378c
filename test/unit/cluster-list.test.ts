/**
 * `cluster list` asks every name server: name servers know nothing of each other, so a broker
 * registered with only some of them, or a name server that is down, must show (scripted name
 * servers; the real two-name-server topology is in local-topology.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Admin } from '../../src/core/client/admin.js';
import { RequestCode } from '../../src/core/remoting/codes.js';
import { listClusters, namesrvWarnings } from '../../src/services/cluster.js';
import { FakeBroker } from '../helpers/fake-broker.js';
import { freePortBlock } from '../helpers/ports.js';

/** A GET_BROKER_CLUSTER_INFO body as a name server writes it (fastjson: bare numeric keys). */
function clusterInfo(brokers: { name: string; addrs: Record<number, string> }[]): Buffer {
  const table = brokers
    .map((b) => {
      const addrs = Object.entries(b.addrs)
        .map(([id, a]) => `${id}:"${a}"`)
        .join(',');
      return `"${b.name}":{"brokerAddrs":{${addrs}},"brokerName":"${b.name}","cluster":"C1"}`;
    })
    .join(',');
  const names = brokers.map((b) => `"${b.name}"`).join(',');
  return Buffer.from(`{"brokerAddrTable":{${table}},"clusterAddrTable":{"C1":[${names}]}}`);
}

describe('cluster list across name servers', () => {
  let ns1: FakeBroker;
  let ns2: FakeBroker;
  let broker: FakeBroker;
  let dead: string;
  let admin: Admin;

  before(async () => {
    [ns1, ns2, broker] = await Promise.all([FakeBroker.start(), FakeBroker.start(), FakeBroker.start()]);
    dead = `127.0.0.1:${await freePortBlock(1)}`; // nothing listens there
    const a = {
      name: 'broker-a',
      addrs: { 0: broker.address, 1: broker.address.replace('127.0.0.1', '127.0.0.2') },
    };
    const b = { name: 'broker-b', addrs: { 0: '127.0.0.3:1' } };
    ns1.respondWith(RequestCode.GET_BROKER_CLUSTER_INFO, () => ({ body: clusterInfo([a, b]) }));
    // ns2 never got broker-b's registration, nor broker-a's slave.
    ns2.respondWith(RequestCode.GET_BROKER_CLUSTER_INFO, () => ({
      body: clusterInfo([{ name: 'broker-a', addrs: { 0: a.addrs[0] } }]),
    }));
    admin = new Admin({ namesrv: [dead, ns1.address, ns2.address], timeoutMs: 2000 });
  });

  after(async () => {
    admin.close();
    await Promise.all([ns1.close(), ns2.close(), broker.close()]);
  });

  it('lists the union, each broker with the name servers that list it, and warns about the gaps', async () => {
    const result = await listClusters(admin);
    const rows = result.clusters.flatMap((c) => c.brokers);
    assert.deepEqual(
      rows.map((r) => [r.brokerName, r.brokerId, r.namesrvs]),
      [
        ['broker-a', 0, [ns1.address, ns2.address]],
        ['broker-a', 1, [ns1.address]],
        ['broker-b', 0, [ns1.address]],
      ],
    );
    assert.equal(result.namesrvs.length, 3);
    assert.equal(result.namesrvs[0]!.address, dead);
    assert.ok(result.namesrvs[0]!.error, 'the dead name server carries its error');
    assert.deepEqual(
      result.namesrvs.slice(1).map((n) => n.error),
      [undefined, undefined],
    );
    const warnings = namesrvWarnings(result);
    assert.equal(warnings.length, 3, warnings.join('\n'));
    assert.match(warnings[0]!, new RegExp(`name server ${dead} did not answer`));
    assert.match(warnings[1]!, new RegExp(`broker-a \\(id 1, .*\\) is not registered with ${ns2.address}`));
    assert.match(warnings[2]!, new RegExp(`broker-b \\(id 0, .*\\) is not registered with ${ns2.address}`));
  });

  it('fails as a single name server would when none answers', async () => {
    const lonely = new Admin({ namesrv: [dead], timeoutMs: 2000 });
    try {
      await assert.rejects(listClusters(lonely), /name server|ECONNREFUSED|connect/i);
    } finally {
      lonely.close();
    }
  });
});
