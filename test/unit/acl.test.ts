/**
 * ACL signing against vectors computed by RocketMQ's own Java code, the error texts of ACL
 * rejections, and what `rmq local up --acl/--tls` configures.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { aclFailure, BrokerResponseError } from '../../src/core/errors.js';
import { aclHook, sign } from '../../src/core/remoting/acl.js';
import { type RemotingCommand, SerializeType } from '../../src/core/remoting/command.js';
import {
  type AclAccounts,
  brokerConf,
  type ClusterSettings,
  confFiles,
  javaArgs,
  plainAclYml,
  validateAclAccount,
} from '../../src/local/config.js';
import { hintFor } from '../../src/hints.js';
import { localLayout } from '../../src/local/paths.js';
import { makeCurrent, saveLocalProfile } from '../../src/local/profile.js';

function request(extFields: Record<string, string>, body?: Buffer): RemotingCommand {
  return {
    code: 310,
    language: 0,
    version: 479,
    opaque: 1,
    flag: 0,
    extFields,
    body,
    serializeType: SerializeType.JSON,
  };
}

describe('sign', () => {
  it('matches AclSignerTest: "RocketMQ" keyed with "12345678"', () => {
    // The content is values then body, so the vector holds whichever side carries the bytes.
    assert.equal(sign({}, Buffer.from('RocketMQ'), '12345678'), 'IUc8rrO/0gDch8CjObLQsW2rsiA=');
    assert.equal(sign({ k: 'RocketMQ' }, undefined, '12345678'), 'IUc8rrO/0gDch8CjObLQsW2rsiA=');
    assert.equal(
      sign({ k: 'Rocket', j: 'MQ' }, undefined, '12345678'),
      sign({ a: 'MQRocket' }, undefined, '12345678'),
    );
  });

  it('leaves Signature itself out of what it signs', () => {
    assert.equal(
      sign({ k: 'RocketMQ', Signature: 'old' }, undefined, '12345678'),
      'IUc8rrO/0gDch8CjObLQsW2rsiA=',
    );
  });
});

describe('aclHook', () => {
  // Computed with RocketMQ 5.3.3's AclUtils.combineRequestContent + AclUtils.calSignature over
  // the same extFields (AccessKey included, TreeMap order) and body.
  const JAVA_SIGNATURE = 'f06+4TlZi92KPGI+e1rP0Ggmmn0=';
  const fields = { b: 'TopicTest', a: 'PG', g: '1700000000000', Z: 'zz', _x: 'u' };

  it('adds AccessKey and signs the extFields sorted in Java String order, then the body', () => {
    const cmd = request({ ...fields }, Buffer.from('hello body'));
    aclHook({ accessKey: 'rmq-admin', secretKey: 's3cr3t-pass' })(cmd);
    assert.equal(cmd.extFields.AccessKey, 'rmq-admin');
    assert.equal(cmd.extFields.Signature, JAVA_SIGNATURE);
    assert.equal(cmd.extFields.SecurityToken, undefined);
  });

  it('does not depend on insertion order and does not touch the caller’s object', () => {
    const shared = { _x: 'u', Z: 'zz', g: '1700000000000', a: 'PG', b: 'TopicTest' };
    const cmd = request(shared, Buffer.from('hello body'));
    aclHook({ accessKey: 'rmq-admin', secretKey: 's3cr3t-pass' })(cmd);
    assert.equal(cmd.extFields.Signature, JAVA_SIGNATURE);
    assert.equal('AccessKey' in shared, false);
    assert.equal('Signature' in shared, false);
  });

  it('re-signs a request that already carries a Signature, and signs the security token', () => {
    const cmd = request({ ...fields, Signature: 'stale' }, Buffer.from('hello body'));
    aclHook({ accessKey: 'rmq-admin', secretKey: 's3cr3t-pass' })(cmd);
    assert.equal(cmd.extFields.Signature, JAVA_SIGNATURE);
    const withToken = request({ ...fields }, Buffer.from('hello body'));
    aclHook({ accessKey: 'rmq-admin', secretKey: 's3cr3t-pass', securityToken: 'tok' })(withToken);
    assert.equal(withToken.extFields.SecurityToken, 'tok');
    assert.notEqual(withToken.extFields.Signature, JAVA_SIGNATURE);
    const signed = { ...withToken.extFields };
    delete signed.Signature;
    assert.equal(withToken.extFields.Signature, sign(signed, Buffer.from('hello body'), 's3cr3t-pass'));
  });

  it('signs a request without body from its extFields alone', () => {
    const cmd = request({});
    aclHook({ accessKey: 'RocketMQ', secretKey: '12345678' })(cmd);
    // The only value is the access key itself.
    assert.equal(cmd.extFields.Signature, 'IUc8rrO/0gDch8CjObLQsW2rsiA=');
  });
});

describe('ACL rejections', () => {
  it('5.x: a request without credentials', () => {
    const e = new BrokerResponseError(16, 'username cannot be null.');
    assert.equal(e.kind, 'broker');
    assert.equal(e.retriable, false);
    assert.match(e.message, /^NO_PERMISSION \(16\): the broker requires ACL credentials/);
    assert.equal(e.reason, 'acl-no-credentials');
    assert.match(hintFor(e) ?? '', /RMQ_ACCESS_KEY/);
  });

  it('5.x: wrong secret, unknown user, missing permission', () => {
    assert.match(new BrokerResponseError(16, 'check signature failed.').message, /wrong secret key/);
    assert.match(
      new BrokerResponseError(16, 'User:nobody is not found.').message,
      /unknown access key nobody/,
    );
    const denied = new BrokerResponseError(
      16,
      'User:reader has no permission to access Topic:T from 127.0.0.1, the decision is deny.',
    );
    assert.match(denied.message, /access denied by the broker's ACL: User:reader has no permission/);
    assert.equal(denied.reason, 'acl-denied');
    assert.match(hintFor(denied) ?? '', /permission/);
  });

  it('leaves a NO_PERMISSION that is not about ACL alone', () => {
    const e = new BrokerResponseError(16, 'the topic[T] sending message is forbidden');
    assert.equal(e.message, 'NO_PERMISSION (16): the topic[T] sending message is forbidden');
    assert.equal(e.hint, undefined);
    assert.equal(e.reason, undefined);
    assert.equal(hintFor(e), undefined);
    assert.equal(aclFailure(1, 'java.lang.NullPointerException, Foo.bar(Foo.java:1)'), undefined);
  });

  it('4.9: strips the exception class and stack frame from SYSTEM_ERROR remarks', () => {
    const remark =
      'org.apache.rocketmq.acl.common.AclException: Check signature failed for accessKey=rmq-admin, org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:683)';
    const e = new BrokerResponseError(1, remark);
    assert.equal(
      e.message,
      "SYSTEM_ERROR (1): access denied by the broker's ACL: Check signature failed for accessKey=rmq-admin (wrong secret key)",
    );
    assert.equal(e.retriable, false);
    assert.equal(e.remark, remark);
    const none = new BrokerResponseError(
      1,
      'org.apache.rocketmq.acl.common.AclException: No accessKey is configured, org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:663)',
    );
    assert.match(none.message, /requires ACL credentials/);
    const admin = new BrokerResponseError(
      1,
      'org.apache.rocketmq.acl.common.AclException: Need admin permission for request code=17, but accessKey=rmq-readonly is not, org.apache.rocketmq.acl.plain.PlainPermissionManager.checkPerm(PlainPermissionManager.java:580)',
    );
    assert.match(
      admin.message,
      /Need admin permission for request code=17, but accessKey=rmq-readonly is not$/,
    );
  });
});

const layout = localLayout('/tmp/rmq-unit-acl');
const accounts: AclAccounts = {
  admin: { accessKey: 'rmq-admin', secretKey: 'p"a\\ss=w:rd' },
  readOnly: { accessKey: 'rmq-readonly', secretKey: 'readonly-secret' },
};
const settings = (over: Partial<ClusterSettings> = {}): ClusterSettings => ({
  version: '5.3.3',
  namesrvPort: 19876,
  brokerPort: 20911,
  clusterName: 'DefaultCluster',
  brokerName: 'broker-a',
  autoCreateTopic: true,
  ...over,
});

/** A .properties text read the way java.util.Properties does for the escapes we write. */
function javaProps(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    map.set(
      line.slice(0, i),
      line.slice(i + 1).replace(/\\(.)/g, (_, c: string) => ({ n: '\n', r: '\r' })[c] ?? c),
    );
  }
  return map;
}

describe('local up --acl / --tls config', () => {
  it('5.x: ACL 2.0 keys of AuthConfig, the admin as initial and inner user, escaped', () => {
    const p = javaProps(brokerConf(settings({ acl: accounts }), layout));
    assert.equal(p.get('authenticationEnabled'), 'true');
    assert.equal(p.get('authorizationEnabled'), 'true');
    assert.equal(
      p.get('authenticationMetadataProvider'),
      'org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider',
    );
    assert.equal(
      p.get('authorizationProvider'),
      'org.apache.rocketmq.auth.authorization.provider.DefaultAuthorizationProvider',
    );
    assert.deepEqual(JSON.parse(p.get('initAuthenticationUser')!), {
      username: 'rmq-admin',
      password: 'p"a\\ss=w:rd',
    });
    assert.deepEqual(JSON.parse(p.get('innerClientAuthenticationCredentials')!), {
      accessKey: 'rmq-admin',
      secretKey: 'p"a\\ss=w:rd',
    });
    assert.equal(p.has('aclEnable'), false);
    assert.equal(javaProps(brokerConf(settings(), layout)).has('authenticationEnabled'), false);
  });

  it('4.x: aclEnable and a plain_acl.yml with an admin and a read-only account', () => {
    const s = settings({ version: '4.9.7', acl: accounts });
    const p = javaProps(brokerConf(s, layout));
    assert.equal(p.get('aclEnable'), 'true');
    assert.equal(p.has('authenticationEnabled'), false);
    const yml = confFiles(s, layout).find((f) => f.path === '/tmp/rmq-unit-acl/conf/plain_acl.yml');
    assert.ok(yml?.secret);
    assert.equal(yml.content, plainAclYml(accounts));
    assert.match(yml.content, /accessKey: "rmq-admin"\n {4}secretKey: "p\\"a\\\\ss=w:rd"\n {4}admin: true/);
    assert.match(yml.content, /accessKey: "rmq-readonly"[^]*admin: false[^]*defaultTopicPerm: SUB/);
    assert.doesNotMatch(yml.content, /whiteRemoteAddress:/);
    assert.ok(
      confFiles(settings({ acl: accounts }), layout).find((f) => f.path.endsWith('broker.conf'))?.secret,
    );
    assert.equal(
      confFiles(settings({ version: '4.9.7' }), layout).some((f) => f.path.endsWith('.yml')),
      false,
    );
  });

  it('validates accounts as 4.9 would accept them', () => {
    const flags = { user: '--acl-user', password: '--acl-password' };
    assert.doesNotThrow(() => validateAclAccount(accounts.admin, flags));
    assert.throws(
      () => validateAclAccount({ accessKey: 'short', secretKey: 'longenough' }, flags),
      /--acl-user/,
    );
    assert.throws(
      () => validateAclAccount({ accessKey: 'rmq-admin', secretKey: 'short' }, flags),
      /--acl-password/,
    );
    assert.throws(
      () => validateAclAccount({ accessKey: 'rmq-admin', secretKey: 'has space' }, flags),
      /--acl-password/,
    );
  });

  it('--tls: enforcing TLS in test mode for both JVMs, before the main class', () => {
    for (const role of ['namesrv', 'broker'] as const) {
      const args = javaArgs(role, settings({ tls: true }), layout, '/lib', 17);
      const main = args.findIndex((a) => a.startsWith('org.apache.rocketmq.'));
      for (const flag of [
        '-Dtls.server.mode=enforcing',
        '-Dtls.enable=true',
        '-Dtls.test.mode.enable=true',
      ]) {
        const i = args.indexOf(flag);
        assert.ok(i >= 0 && i < main, `${role}: ${flag}`);
      }
      assert.ok(args.includes('-Dtls.config.file=/tmp/rmq-unit-acl/conf/tls.properties'));
      assert.equal(
        javaArgs(role, settings(), layout, '/lib', 17).some((a) => a.startsWith('-Dtls.')),
        false,
      );
    }
  });
});

describe('the local profile', () => {
  it('is written with credentials and TLS, and made current only when asked (up --use)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmq-unit-profile-'));
    try {
      const path = join(dir, 'profiles.json');
      const env = { RMQ_PROFILES_FILE: path };
      const first = await saveLocalProfile(
        'local',
        { namesrvAddr: '127.0.0.1:19876', acl: accounts.admin, tls: true },
        env,
      );
      // Not current even with no current profile: its tlsInsecure and key would follow every command.
      assert.deepEqual(first, { name: 'local', file: path, current: false });
      let file = JSON.parse(readFileSync(path, 'utf8')) as {
        current?: string;
        profiles: Record<string, Record<string, unknown>>;
      };
      assert.equal(file.current, undefined);
      await makeCurrent('local', env);
      file = JSON.parse(readFileSync(path, 'utf8')) as typeof file;
      assert.equal(file.current, 'local');
      assert.deepEqual(file.profiles.local, {
        namesrv: '127.0.0.1:19876',
        accessKey: 'rmq-admin',
        secretKey: 'p"a\\ss=w:rd',
        tls: true,
        tlsInsecure: true,
      });
      assert.equal(statSync(path).mode & 0o777, 0o600);

      // Another current profile stays current; a restart without --acl drops the credentials.
      file.current = 'prod';
      file.profiles.prod = { namesrv: '10.0.0.1:9876' };
      file.profiles = { ...file.profiles, local: { ...file.profiles.local, timeout: 9000 } };
      writeFileSync(path, JSON.stringify(file));
      const again = await saveLocalProfile('local', { namesrvAddr: '127.0.0.1:29876', tls: false }, env);
      assert.equal(again.current, false);
      file = JSON.parse(readFileSync(path, 'utf8')) as typeof file;
      assert.equal(file.current, 'prod');
      assert.deepEqual(file.profiles.local, { namesrv: '127.0.0.1:29876', timeout: 9000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
