/** What `rmq local up` lets out of its secrets: nothing in its output, nothing in the JVMs' environment. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MASKED_SECRET, type UpResult, withSecretsMasked } from '../../src/local/cluster.js';
import { childEnv } from '../../src/local/config.js';

const result = (acl: UpResult['acl']): UpResult => ({
  status: 'started',
  dir: '/tmp/rmq-unit',
  version: '4.9.7',
  namesrvAddr: '127.0.0.1:19876',
  brokerAddr: '127.0.0.1:20911',
  clusterName: 'DefaultCluster',
  brokerName: 'broker-a',
  ports: { namesrv: 19876, broker: 20911, brokerFast: 20909, brokerHa: 20912 },
  pids: { namesrv: 100, broker: 101 },
  startedAt: '2024-01-01T00:00:00.000Z',
  elapsedMs: 1,
  downloaded: false,
  logs: { namesrv: 'n', broker: 'b' },
  acl,
  tls: false,
});

describe('local up secrets', () => {
  test('withSecretsMasked hides both secret keys and keeps the rest', () => {
    const r = result({
      accessKey: 'rmq-admin',
      secretKey: 'admin-secret-1',
      readOnly: { accessKey: 'rmq-readonly', secretKey: 'reader-secret-2' },
      accountsFile: '/tmp/rmq-unit/conf/acl-accounts.json',
    });
    const masked = withSecretsMasked(r);
    assert.equal(masked.acl?.secretKey, MASKED_SECRET);
    assert.equal(masked.acl?.readOnly?.secretKey, MASKED_SECRET);
    assert.equal(masked.acl?.accessKey, 'rmq-admin');
    assert.equal(masked.acl?.readOnly?.accessKey, 'rmq-readonly');
    assert.equal(masked.acl?.accountsFile, '/tmp/rmq-unit/conf/acl-accounts.json');
    const text = JSON.stringify(masked);
    assert.ok(!text.includes('admin-secret-1') && !text.includes('reader-secret-2'), text);
    assert.equal(r.acl?.secretKey, 'admin-secret-1', 'the input is left as it was');
  });

  test('withSecretsMasked: no ACL, nothing to mask; 5.x has no read-only account', () => {
    assert.deepEqual(withSecretsMasked(result(undefined)), result(undefined));
    const five = withSecretsMasked(
      result({ accessKey: 'rmq-admin', secretKey: 's3cretXYZ', accountsFile: 'f' }),
    );
    assert.equal(five.acl?.readOnly, undefined);
    assert.equal(five.acl?.secretKey, MASKED_SECRET);
  });

  test('childEnv drops every RMQ_* variable and nothing else', () => {
    const env = childEnv({
      PATH: '/usr/bin',
      HOME: '/home/u',
      JAVA_HOME: '/opt/jdk',
      NAMESRV_ADDR: '127.0.0.1:9876',
      RMQ_SECRET_KEY: 'secret',
      RMQ_ACCESS_KEY: 'ak',
      RMQ_LOCAL_ACL_PASSWORD: 'password',
      RMQ_PROFILES_FILE: '/tmp/p.json',
      rmq_secret_key: 'lower-case too',
      UNSET: undefined,
    });
    assert.deepEqual(env, {
      PATH: '/usr/bin',
      HOME: '/home/u',
      JAVA_HOME: '/opt/jdk',
      NAMESRV_ADDR: '127.0.0.1:9876',
    });
  });
});
