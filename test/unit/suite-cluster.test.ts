/**
 * `npm test`'s choice of cluster: a RocketMQ serving at RMQ_TEST_NAMESRV is reused; anything else
 * there (nothing, a name server without a master, another program holding the port) makes the
 * suite start its own cluster on free ports — never on the fixed 9876/10911.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { BIN_PATH } from '../helpers/cli.js';
import { freePortBlock } from '../helpers/ports.js';
import { chooseSuiteCluster, probeWithCli, type Probe, servesRocketMQ } from '../helpers/suite-cluster.js';

const serving: Probe = {
  code: 0,
  json: { clusters: [{ name: 'DefaultCluster', brokers: [{ name: 'broker-a', role: 'MASTER' }] }] },
};

/** Whether this process can listen on the port now (the chosen ports must be free). */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function assertStartsOnFreePorts(choice: Awaited<ReturnType<typeof chooseSuiteCluster>>) {
  assert.equal(choice.kind, 'start');
  if (choice.kind !== 'start') return;
  for (const port of [choice.namesrvPort, choice.brokerPort - 2, choice.brokerPort, choice.brokerPort + 1]) {
    assert.notEqual(port, 9876);
    assert.notEqual(port, 10911);
    assert.ok(await canBind(port), `port ${port} is free`);
  }
}

describe('the cluster npm test runs against', () => {
  test('a RocketMQ with a master serving at the address is reused', async () => {
    const choice = await chooseSuiteCluster('127.0.0.1:9876', () => Promise.resolve(serving));
    assert.deepEqual(choice, { kind: 'reuse', namesrv: '127.0.0.1:9876' });
  });

  test('a name server without a serving master is not: a cluster of its own on free ports', async () => {
    for (const json of [
      { clusters: [] },
      { clusters: [{ brokers: [{ role: 'SLAVE' }] }] },
      { clusters: [{ brokers: [{ role: 'MASTER', error: 'connection refused' }] }] },
    ]) {
      assert.equal(servesRocketMQ({ code: 0, json }), false, JSON.stringify(json));
      const choice = await chooseSuiteCluster('127.0.0.1:9876', () => Promise.resolve({ code: 0, json }));
      await assertStartsOnFreePorts(choice);
      assert.match((choice as { why: string }).why, /no master broker serving/);
    }
  });

  test('nothing listening: a cluster of its own on free ports, not on the address asked', async () => {
    const choice = await chooseSuiteCluster('127.0.0.1:9876', () =>
      Promise.resolve({ code: 3, json: undefined }),
    );
    await assertStartsOnFreePorts(choice);
    assert.match((choice as { why: string }).why, /nothing answers at 127\.0\.0\.1:9876/);
  });

  describe('the port held by another program', () => {
    let held: net.Server;
    let port: number;
    before(async () => {
      port = await freePortBlock(1);
      // Not a name server: it answers every connection with an HTTP error and keeps it open.
      held = net.createServer((sock) => {
        sock.on('error', () => undefined);
        sock.write('HTTP/1.1 400 Bad Request\r\n\r\n');
      });
      await new Promise<void>((resolve) => held.listen(port, '127.0.0.1', resolve));
    });
    after(() => held.close());

    test('the real probe of it (rmq cluster list) says no; the suite starts elsewhere', async () => {
      const probe = probeWithCli(BIN_PATH);
      const p = await probe(`127.0.0.1:${port}`);
      assert.notEqual(p.code, 0, 'the probe fails against a port held by something else');
      const choice = await chooseSuiteCluster(`127.0.0.1:${port}`, probe);
      await assertStartsOnFreePorts(choice);
      assert.ok(choice.kind === 'start' && choice.namesrvPort !== port, 'not the held port');
      assert.match((choice as { why: string }).why, /is not a serving RocketMQ name server \(exit \d+\)/);
    });
  });
});
