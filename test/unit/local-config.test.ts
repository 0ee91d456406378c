import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { meaningfulLines, tailLines } from '../../src/local/logs.js';
import {
  brokerConf,
  type ClusterSettings,
  clusterPorts,
  confFiles,
  DEFAULT_ROCKETMQ_VERSION,
  isLegacy,
  javaArgs,
  javaEnv,
  legacyLogbackXml,
  mavenArgs,
  namesrvConf,
  ownerMarker,
  parseJavaMajor,
  parseVersionSpec,
  runtimePom,
  validateSettings,
} from '../../src/local/config.js';
import { createdEntries, defaultLocalDir, localLayout, rocketmqCacheRoot } from '../../src/local/paths.js';
import { isNotPublished, mavenKeyLine } from '../../src/local/resolve.js';

const layout = localLayout('/tmp/rmq-unit');
const settings = (over: Partial<ClusterSettings> = {}): ClusterSettings => ({
  version: '5.3.3',
  namesrvPort: 19876,
  brokerPort: 20911,
  clusterName: 'DefaultCluster',
  brokerName: 'broker-a',
  autoCreateTopic: true,
  ...over,
});

/** key → value of a .properties text, failing on duplicate keys. */
function props(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    assert.ok(i > 0, `not a property line: ${line}`);
    const key = line.slice(0, i);
    assert.ok(!map.has(key), `duplicate key ${key}`);
    map.set(key, line.slice(i + 1));
  }
  return map;
}

describe('parseVersionSpec', () => {
  it('expands a release line newest-first', () => {
    const s = parseVersionSpec('5.3');
    assert.equal(s.exact, false);
    assert.deepEqual(s.candidates, ['5.3.4', '5.3.3', '5.3.2', '5.3.1', '5.3.0']);
    const legacy = parseVersionSpec('4.9');
    assert.equal(legacy.candidates[0], '4.9.8');
    assert.equal(legacy.candidates.at(-1), '4.9.0');
  });

  it('keeps an exact release as the only candidate', () => {
    assert.deepEqual(parseVersionSpec('4.9.8'), {
      spec: '4.9.8',
      candidates: ['4.9.8'],
      exact: true,
      representative: '4.9.8',
    });
    assert.deepEqual(parseVersionSpec(' v5.3.3 ').candidates, ['5.3.3']);
  });

  it('defaults to the 5.3 line', () => {
    assert.equal(DEFAULT_ROCKETMQ_VERSION, '5.3');
    assert.equal(parseVersionSpec(DEFAULT_ROCKETMQ_VERSION).candidates[0], '5.3.4');
  });

  it('rejects what it cannot map to releases', () => {
    for (const bad of ['latest', '5', '3.2.6', '3.2', '5.3.x', '']) {
      assert.throws(() => parseVersionSpec(bad), InvalidArgumentError, bad);
    }
  });

  it('tells 4.x from 5.x', () => {
    assert.equal(isLegacy('4.9.7'), true);
    assert.equal(isLegacy('5.3.3'), false);
  });
});

describe('namesrvConf', () => {
  it('binds 5.x to loopback and keeps its kv config in the state dir', () => {
    const p = props(namesrvConf(settings(), layout));
    assert.equal(p.get('listenPort'), '19876');
    assert.equal(p.get('bindAddress'), '127.0.0.1');
    assert.equal(p.get('kvConfigPath'), '/tmp/rmq-unit/namesrv/kvConfig.json');
  });

  it('leaves out bindAddress for 4.x, which does not know it', () => {
    const p = props(namesrvConf(settings({ version: '4.9.7' }), layout));
    assert.equal(p.has('bindAddress'), false);
    assert.equal(p.get('listenPort'), '19876');
  });
});

describe('brokerConf', () => {
  it('has the loopback, feature and small-file settings', () => {
    const p = props(brokerConf(settings(), layout));
    const expected: Record<string, string> = {
      brokerClusterName: 'DefaultCluster',
      brokerName: 'broker-a',
      brokerId: '0',
      namesrvAddr: '127.0.0.1:19876',
      brokerIP1: '127.0.0.1',
      brokerIP2: '127.0.0.1',
      bindAddress: '127.0.0.1',
      listenPort: '20911',
      storePathRootDir: '/tmp/rmq-unit/store',
      storePathCommitLog: '/tmp/rmq-unit/store/commitlog',
      autoCreateTopicEnable: 'true',
      autoCreateSubscriptionGroup: 'true',
      traceTopicEnable: 'true',
      enablePropertyFilter: 'true',
      mappedFileSizeCommitLog: '67108864',
      mappedFileSizeConsumeQueue: '600000',
      maxHashSlotNum: '100000',
      maxIndexNum: '400000',
      mappedFileSizeTimerLog: '16777216',
      transactionMetricFlushInterval: '200',
      timerFlushIntervalMs: '10000',
      timerGetMessageThreadNum: '1',
      timerPutMessageThreadNum: '1',
      fileReservedTime: '1',
      waitTimeMillsInSendQueue: '1000',
    };
    for (const [k, v] of Object.entries(expected)) assert.equal(p.get(k), v, k);
  });

  it('turns on the LMQ keys lite topics need from 5.5 on, and only there', () => {
    for (const version of ['5.5.0', '5.5.1', '5.6.0', '6.0.0']) {
      const p = props(brokerConf(settings({ version }), layout));
      assert.equal(p.get('enableLmq'), 'true', version);
      assert.equal(p.get('enableMultiDispatch'), 'true', version);
    }
    for (const version of ['5.3.3', '5.4.0', '4.9.7']) {
      const p = props(brokerConf(settings({ version }), layout));
      assert.equal(p.has('enableLmq'), false, version);
      assert.equal(p.has('enableMultiDispatch'), false, version);
    }
  });

  it('never uses the misspelt keys RocketMQ silently ignores', () => {
    assert.doesNotMatch(brokerConf(settings(), layout), /mapedFile/);
  });

  it('turns auto-create off on request', () => {
    assert.equal(
      props(brokerConf(settings({ autoCreateTopic: false }), layout)).get('autoCreateTopicEnable'),
      'false',
    );
  });

  it('drops 5.x-only keys for 4.x', () => {
    const p = props(brokerConf(settings({ version: '4.9.7' }), layout));
    assert.equal(p.has('bindAddress'), false);
    assert.equal(p.has('mappedFileSizeTimerLog'), false);
    assert.equal(p.has('transactionMetricFlushInterval'), false);
    assert.equal(p.has('timerFlushIntervalMs'), false);
    assert.equal(p.get('brokerIP1'), '127.0.0.1');
  });

  it('advertises --advertise-ip but still binds and replicates on 127.0.0.1', () => {
    const p = props(brokerConf(settings({ advertiseIp: '127.0.0.2' }), layout));
    assert.equal(p.get('brokerIP1'), '127.0.0.2');
    assert.equal(p.get('brokerIP2'), '127.0.0.1');
    assert.equal(p.get('bindAddress'), '127.0.0.1');
    for (const bad of ['10.0.0.1', '127.0.0.256', '127.1', 'localhost']) {
      assert.throws(() => validateSettings(settings({ advertiseIp: bad })), /invalid --advertise-ip/, bad);
    }
    validateSettings(settings({ advertiseIp: '127.0.0.2' }));
  });

  it('uses the cluster and broker names given', () => {
    const p = props(brokerConf(settings({ clusterName: 'C2', brokerName: 'b-2' }), layout));
    assert.equal(p.get('brokerClusterName'), 'C2');
    assert.equal(p.get('brokerName'), 'b-2');
  });
});

describe('confFiles and legacy logback', () => {
  it('writes only the two conf files for 5.x', () => {
    assert.deepEqual(
      confFiles(settings(), layout).map((f) => f.path),
      ['/tmp/rmq-unit/conf/namesrv.conf', '/tmp/rmq-unit/conf/broker.conf'],
    );
  });

  it('adds the logback files 4.x requires in $ROCKETMQ_HOME/conf', () => {
    const paths = confFiles(settings({ version: '4.9.7' }), layout).map((f) => f.path);
    for (const name of ['namesrv', 'broker', 'tools']) {
      assert.ok(paths.includes(`/tmp/rmq-unit/conf/logback_${name}.xml`), name);
    }
  });

  it('logs where 5.x does, with a date pattern logback can parse', () => {
    const xml = legacyLogbackXml('broker');
    assert.match(xml, /<file>\$\{user\.home\}\/logs\/rocketmqlogs\/broker\.log<\/file>/);
    // A comma inside %d{…} would be read as a time-zone option.
    assert.doesNotMatch(xml, /%d\{[^}]*,/);
    assert.match(xml, /<root level="INFO">/);
  });
});

describe('clusterPorts and validateSettings', () => {
  it('lists the broker port, its fast port (−2) and its HA port (+1)', () => {
    const ports = clusterPorts(settings());
    assert.deepEqual(
      ports.map((p) => [p.port, p.flag]),
      [
        [19876, '--namesrv-port'],
        [20911, '--broker-port'],
        [20909, '--broker-port'],
        [20912, '--broker-port'],
      ],
    );
    // 5.x binds loopback except the HA port; 4.x binds every interface.
    assert.deepEqual(
      ports.map((p) => p.allInterfaces),
      [false, false, false, true],
    );
    assert.ok(clusterPorts(settings({ version: '4.9.7' })).every((p) => p.allInterfaces));
  });

  it('accepts the defaults and a second cluster beside them', () => {
    validateSettings(settings({ namesrvPort: 9876, brokerPort: 10911 }));
    validateSettings(settings());
  });

  it('rejects a name server port inside the broker block, bad ports and bad names', () => {
    for (const namesrvPort of [20909, 20910, 20911, 20912]) {
      assert.throws(
        () => validateSettings(settings({ namesrvPort })),
        InvalidArgumentError,
        String(namesrvPort),
      );
    }
    assert.throws(() => validateSettings(settings({ namesrvPort: 0 })), InvalidArgumentError);
    assert.throws(() => validateSettings(settings({ brokerPort: 65535 })), InvalidArgumentError);
    assert.throws(() => validateSettings(settings({ brokerPort: 2 })), InvalidArgumentError);
    assert.throws(() => validateSettings(settings({ brokerName: 'a b' })), InvalidArgumentError);
    assert.throws(() => validateSettings(settings({ clusterName: 'x=y' })), InvalidArgumentError);
  });
});

describe('javaArgs', () => {
  const lib = '/cache/rmq/rocketmq/5.3.3/lib';

  it('starts the 5.x broker with its logback file, the JDK opens and the owner marker', () => {
    const args = javaArgs('broker', settings(), layout, lib, 17);
    assert.deepEqual(args.slice(-5), [
      '-cp',
      `${lib}/*`,
      'org.apache.rocketmq.broker.BrokerStartup',
      '-c',
      '/tmp/rmq-unit/conf/broker.conf',
    ]);
    for (const a of [
      '-Xmx512m',
      '-XX:MaxDirectMemorySize=1g',
      '-Drmq.logback.configurationFile=rmq.broker.logback.xml',
      '-Duser.home=/tmp/rmq-unit/home',
      '-Djava.io.tmpdir=/tmp/rmq-unit/tmp',
      '-Drocketmq.home.dir=/tmp/rmq-unit',
      'java.base/java.nio=ALL-UNNAMED',
      'java.base/sun.nio.ch=ALL-UNNAMED',
    ]) {
      assert.ok(args.includes(a), a);
    }
    assert.ok(args.includes(ownerMarker(layout)));
  });

  it('starts the name server with a small heap and the client compiler only; the broker with both', () => {
    const args = javaArgs('namesrv', settings(), layout, lib, 17);
    assert.ok(args.includes('-Xmx256m'));
    assert.ok(args.includes('-XX:TieredStopAtLevel=1'));
    assert.ok(!javaArgs('broker', settings(), layout, lib, 17).some((a) => a.startsWith('-XX:TieredStop')));
    assert.ok(args.includes('-Drmq.logback.configurationFile=rmq.namesrv.logback.xml'));
    assert.deepEqual(args.slice(-3), [
      'org.apache.rocketmq.namesrv.NamesrvStartup',
      '-c',
      '/tmp/rmq-unit/conf/namesrv.conf',
    ]);
  });

  it('leaves --add-opens out on Java 8, which rejects it', () => {
    const args = javaArgs('broker', settings(), layout, lib, 8);
    assert.ok(!args.includes('--add-opens'));
    assert.ok(!args.includes('--add-exports'));
  });

  it('has no rmq.logback property for 4.x (it reads conf/logback_*.xml)', () => {
    const args = javaArgs('broker', settings({ version: '4.9.7' }), layout, lib, 17);
    assert.ok(!args.some((a) => a.startsWith('-Drmq.logback')));
    assert.ok(args.includes('--add-opens'));
  });

  it('sets ROCKETMQ_HOME to the state dir', () => {
    assert.deepEqual(javaEnv(layout), { ROCKETMQ_HOME: '/tmp/rmq-unit' });
  });
});

describe('parseJavaMajor', () => {
  it('reads old and new version strings', () => {
    assert.equal(parseJavaMajor('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime'), 17);
    assert.equal(parseJavaMajor('java version "1.8.0_402"\nJava(TM) SE'), 8);
    assert.equal(parseJavaMajor('openjdk version "21" 2023-09-19'), 21);
    assert.equal(parseJavaMajor('openjdk version "11.0.2-ea"'), 11);
    assert.equal(parseJavaMajor('bash: java: command not found'), undefined);
  });
});

describe('Maven', () => {
  it('asks for namesrv, broker and tools only', () => {
    const pom = runtimePom('5.3.3');
    for (const a of ['rocketmq-namesrv', 'rocketmq-broker', 'rocketmq-tools']) {
      assert.match(pom, new RegExp(`<artifactId>${a}</artifactId><version>5\\.3\\.3</version>`));
    }
    assert.doesNotMatch(pom, /rocketmq-proxy|rocketmq-example/);
  });

  it('runs batch and quiet, online, into the given dir', () => {
    const args = mavenArgs('/c/pom.xml', '/c/lib.partial-1');
    assert.deepEqual(args.slice(0, 4), ['-B', '-q', '-f', '/c/pom.xml']);
    assert.ok(args.includes('-DoutputDirectory=/c/lib.partial-1'));
    assert.ok(args.includes('-DincludeScope=runtime'));
    assert.ok(!args.includes('-o') && !args.includes('--offline'));
  });

  const missing =
    '\x1b[0m\x1b[0m[ERROR] Failed to execute goal on project rocketmq-runtime: Could not resolve dependencies for project local.rmq:rocketmq-runtime:pom:4.9.8: The following artifacts could not be resolved: org.apache.rocketmq:rocketmq-namesrv:jar:4.9.8, org.apache.rocketmq:rocketmq-broker:jar:4.9.8: Could not find artifact org.apache.rocketmq:rocketmq-namesrv:jar:4.9.8 in central (https://repo.maven.apache.org/maven2) -> [Help 1]\n[ERROR] \n[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.\n';
  const cached =
    '[ERROR] Failed to execute goal on project rocketmq-runtime: Could not resolve dependencies for project local.rmq:rocketmq-runtime:pom:4.9.8: The following artifacts could not be resolved: org.apache.rocketmq:rocketmq-namesrv:jar:4.9.8: org.apache.rocketmq:rocketmq-namesrv:jar:4.9.8 was not found in https://repo.maven.apache.org/maven2 during a previous attempt. This failure was cached in the local repository and resolution is not reattempted until the update interval of central has elapsed or updates are forced -> [Help 1]\n';
  const offline =
    '[ERROR] Plugin org.apache.maven.plugins:maven-dependency-plugin:3.6.1 or one of its dependencies could not be resolved: Failed to read artifact descriptor for org.apache.maven.plugins:maven-dependency-plugin:jar:3.6.1: Could not transfer artifact org.apache.maven.plugins:maven-dependency-plugin:pom:3.6.1 from/to central (https://repo.maven.apache.org/maven2): Connection refused -> [Help 1]\n';

  it('boils a resolution failure down to the missing artifact', () => {
    assert.equal(
      mavenKeyLine(missing),
      'org.apache.rocketmq:rocketmq-namesrv:jar:4.9.8 is not on Maven Central',
    );
    assert.match(
      mavenKeyLine(cached),
      /^org\.apache\.rocketmq:rocketmq-namesrv:jar:4\.9\.8 is not on Maven Central/,
    );
    assert.match(mavenKeyLine(offline), /^Plugin org\.apache\.maven\.plugins:maven-dependency-plugin/);
    assert.ok(mavenKeyLine(offline).length <= 300);
  });

  it('tells "not published" from "network trouble"', () => {
    assert.equal(isNotPublished(missing), true);
    assert.equal(isNotPublished(cached), true);
    assert.equal(isNotPublished(offline), false);
  });
});

describe('paths', () => {
  it('puts the jar cache under RMQ_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache', () => {
    assert.equal(rocketmqCacheRoot({ RMQ_CACHE_DIR: '/x/cache' }), '/x/cache/rocketmq');
    assert.equal(rocketmqCacheRoot({ XDG_CACHE_HOME: '/xdg' }), '/xdg/rmq/rocketmq');
    assert.match(rocketmqCacheRoot({}), /\/\.cache\/rmq\/rocketmq$/);
  });

  it('puts the state dir under RMQ_LOCAL_DIR, else XDG_STATE_HOME, else ~/.local/state', () => {
    assert.equal(defaultLocalDir({ RMQ_LOCAL_DIR: '/s/local' }), '/s/local');
    assert.equal(defaultLocalDir({ XDG_STATE_HOME: '/st' }), '/st/rmq/local');
    assert.match(defaultLocalDir({}), /\/\.local\/state\/rmq\/local$/);
  });

  it('keeps logs, store and config inside the state dir', () => {
    const l = localLayout('/tmp/rmq-unit/');
    assert.equal(l.dir, '/tmp/rmq-unit');
    assert.equal(l.rocketmqLogsDir, '/tmp/rmq-unit/home/logs/rocketmqlogs');
    assert.ok(createdEntries(l).every((p) => p.startsWith('/tmp/rmq-unit/')));
  });
});

describe('log helpers', () => {
  it('drops logback status lines and stack frames from a dead JVM output', () => {
    const out = [
      '00:26:53,611 |-INFO in org.apache.rocketmq.logging.ch.qos.logback.core.model.processor.AppenderRefModelHandler - Attaching appender',
      'java.lang.RuntimeException: Lock failed,MQ already started',
      '\tat org.apache.rocketmq.store.DefaultMessageStore.start(DefaultMessageStore.java:300)',
      '\t... 3 more',
      '',
    ].join('\n');
    assert.deepEqual(meaningfulLines(out), ['java.lang.RuntimeException: Lock failed,MQ already started']);
  });

  it('reads the last lines of a file from its end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmq-tail-'));
    try {
      const file = join(dir, 'x.log');
      writeFileSync(file, `${Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n')}\n`);
      const { lines, size } = await tailLines(file, 3);
      assert.deepEqual(lines, ['line 4997', 'line 4998', 'line 4999']);
      assert.ok(size > 0);
      assert.deepEqual((await tailLines(file, 0)).lines, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
