/**
 * Talking to a RocketMQ 5.x proxy's remoting port: every request it forwards must name its broker
 * (bname; `n` in SEND_MESSAGE_V2), and administration there is answered REQUEST_CODE_NOT_SUPPORTED,
 * which rmq turns into one line that says so. Also the local cluster's proxy: ports, config, argv.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NameServerClient } from '../../src/core/client/namesrv.js';
import { RemotingClient } from '../../src/core/client/remoting-client.js';
import { BrokerResponseError, NotANameServerError } from '../../src/core/errors.js';
import { consumerSendBackHeader } from '../../src/core/protocol/consumer-send-back.js';
import { endTransactionHeader } from '../../src/core/protocol/end-transaction.js';
import { pullMessageHeader } from '../../src/core/protocol/pull-message.js';
import { queryConsumerOffsetHeader } from '../../src/core/protocol/query-consumer-offset.js';
import { queueOffsetHeader, searchOffsetHeader } from '../../src/core/protocol/queue-offset.js';
import { updateConsumerOffsetHeader } from '../../src/core/protocol/update-consumer-offset.js';
import { exitCodeFor } from '../../src/exit-codes.js';
import { hintFor } from '../../src/hints.js';
import { javaArgs, PROXY_ARTIFACTS, proxyConfigJson, runtimePom } from '../../src/local/config.js';
import { localLayout } from '../../src/local/paths.js';
import { validateProxy } from '../../src/local/proxy.js';
import {
  nodePaths,
  PROXY_NODE,
  proxyNode,
  proxyPorts,
  SINGLE_NODE,
  topologyHeap,
  topologyNodes,
  validateTopologyPorts,
} from '../../src/local/topology.js';
import { FakeBroker } from '../helpers/fake-broker.js';

describe('bname: the broker a 5.x proxy forwards a request to', () => {
  const mq = { topic: 'T', brokerName: 'broker-a', queueId: 3 };

  it('rides on pull, offsets, send-back and end-transaction when the broker is known', () => {
    const pull = pullMessageHeader({
      consumerGroup: 'G',
      topic: 'T',
      queueId: 3,
      queueOffset: 7,
      maxMsgNums: 32,
      subscription: '*',
      subVersion: 0,
      expressionType: 'TAG',
      brokerName: 'broker-a',
    });
    assert.equal(pull.bname, 'broker-a');
    assert.equal(queryConsumerOffsetHeader({ consumerGroup: 'G', ...mq }).bname, 'broker-a');
    assert.equal(
      updateConsumerOffsetHeader({ consumerGroup: 'G', ...mq, commitOffset: 9 }).bname,
      'broker-a',
    );
    assert.equal(queueOffsetHeader(mq).bname, 'broker-a');
    assert.deepEqual(searchOffsetHeader(mq, 42), {
      topic: 'T',
      queueId: '3',
      bname: 'broker-a',
      timestamp: '42',
    });
    const back = consumerSendBackHeader({
      commitLogOffset: 1,
      group: 'G',
      delayLevel: 0,
      originMsgId: 'M',
      originTopic: 'T',
      maxReconsumeTimes: 16,
      brokerName: 'broker-a',
    });
    assert.equal(back.bname, 'broker-a');
    const end = endTransactionHeader({
      producerGroup: 'P',
      tranStateTableOffset: 1,
      commitLogOffset: '2',
      action: 'commit',
      fromTransactionCheck: false,
      msgId: 'M',
      transactionId: 'X',
      brokerName: 'broker-a',
    });
    assert.equal(end.bname, 'broker-a');
  });

  it('is left out when the caller does not know the broker (as before)', () => {
    assert.deepEqual(queueOffsetHeader({ topic: 'T', queueId: 0 }), { topic: 'T', queueId: '0' });
    assert.equal('bname' in queryConsumerOffsetHeader({ consumerGroup: 'G', topic: 'T', queueId: 0 }), false);
  });
});

describe('administration through a proxy', () => {
  let server: FakeBroker;
  let client: RemotingClient;
  before(async () => {
    // FakeBroker answers every code as a server without a handler does: 3, "request type N not supported".
    server = await FakeBroker.start();
    client = new RemotingClient({ timeoutMs: 2000 });
  });
  after(async () => {
    client.close();
    await server.close();
  });

  it('a name server request answered 3 says the address is no name server, in one line', async () => {
    const ns = new NameServerClient(client, [server.address]);
    const err = await ns.getClusterInfo().then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof NotANameServerError);
    assert.ok(err instanceof BrokerResponseError);
    assert.equal(err.reason, 'not-a-namesrv');
    assert.equal(err.responseCode, 3);
    assert.match(
      err.message,
      /does not serve GET_BROKER_CLUSTER_INFO .*no name server.*5\.x proxy .*no administration/,
    );
    assert.doesNotMatch(err.message, /\n/);
    assert.match(hintFor(err) ?? '', /--namesrv/);
    assert.equal(exitCodeFor(err.kind), 5);
  });

  it('any other request answered 3 gets advice that names the proxy too', () => {
    const err = new BrokerResponseError(3, ' request type 317 not supported', '127.0.0.1:1');
    assert.equal(err.reason, 'request-unsupported');
    assert.match(hintFor(err) ?? '', /proxy/);
  });
});

describe('local up --proxy', () => {
  it('takes the gap between the controllers and the brokers', () => {
    assert.deepEqual(proxyPorts(30000), { remoting: 30010, grpc: 30011 });
    const nodes = topologyNodes(
      { ...SINGLE_NODE, masters: 8, replicas: 2, namesrvs: 5, ha: 'controller' },
      { namesrvPort: 30000, brokerPort: 30022 },
    );
    validateTopologyPorts([...nodes, proxyNode(30000)]);
    assert.throws(
      () =>
        validateTopologyPorts([
          { name: 'broker', kind: 'broker', port: 30011, ports: [30009, 30011, 30012] },
          proxyNode(30000),
        ]),
      /port 30011 would be used by both broker and proxy/,
    );
  });

  it('refuses 4.x in one line', () => {
    assert.throws(() => validateProxy('4.9.7', {}), /--proxy needs RocketMQ 5\.x/);
    assert.throws(() => validateProxy('5.3.3', { tls: true }), /not supported with --acl, --tls/);
    validateProxy('5.3.3', {});
  });

  it('writes a cluster-mode config that advertises loopback', () => {
    const conf = JSON.parse(
      proxyConfigJson({
        clusterName: 'C',
        namesrvAddr: '127.0.0.1:1;127.0.0.1:2',
        remotingPort: 10,
        grpcPort: 11,
      }),
    ) as Record<string, unknown>;
    assert.equal(conf.proxyMode, 'cluster');
    assert.equal(conf.rocketMQClusterName, 'C');
    assert.equal(conf.namesrvAddr, '127.0.0.1:1;127.0.0.1:2');
    assert.equal(conf.remotingListenPort, 10);
    assert.equal(conf.grpcServerPort, 11);
    assert.equal(conf.remotingAccessAddr, '127.0.0.1');
  });

  it('runs ProxyStartup with -pc and -pm cluster, a small heap and its own markers', () => {
    const layout = localLayout('/tmp/rmq-unit-proxy');
    const p = nodePaths(layout, { name: PROXY_NODE, kind: 'proxy' });
    assert.match(p.conf, /nodes\/proxy\/rmq-proxy\.json$/);
    assert.match(p.mainLog, /nodes\/proxy\/home\/logs\/rocketmqlogs\/proxy\.log$/);
    const args = javaArgs('proxy', { version: '5.3.3' }, layout, '/lib', 17, {
      heap: topologyHeap('proxy'),
      homeDir: p.homeDir,
      conf: p.conf,
      marker: '-Drmq.local.node=proxy',
    });
    assert.deepEqual(args.slice(-5), [
      'org.apache.rocketmq.proxy.ProxyStartup',
      '-pc',
      p.conf,
      '-pm',
      'cluster',
    ]);
    assert.ok(args.includes('-Xmx256m'));
    assert.ok(args.includes('-Drmq.local.node=proxy'));
    assert.ok(args.includes('-Drmq.logback.configurationFile=rmq.proxy.logback.xml'));
  });

  it('fetches rocketmq-proxy only for the proxy runtime', () => {
    assert.doesNotMatch(runtimePom('5.3.3'), /rocketmq-proxy/);
    const pom = runtimePom('5.3.3', PROXY_ARTIFACTS);
    assert.match(pom, /<artifactId>rocketmq-proxy<\/artifactId><version>5\.3\.3<\/version>/);
    assert.doesNotMatch(pom, /rocketmq-broker/);
  });
});
