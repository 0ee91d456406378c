/**
 * The ACL administration codecs: bodies as RocketMQ 5.3.3 and 4.9.7 write them (secrets in clear,
 * which must not come out of the decoders), hostile bodies, and the input the commands refuse
 * before anything is sent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AclKindError } from '../../src/core/client/acl.js';
import { InvalidArgumentError, ProtocolError } from '../../src/core/errors.js';
import {
  decodeAclInfo,
  decodeAclList,
  deleteAclHeader,
  encodeAclInfo,
  parseActions,
  parseDecision,
  parseResource,
  parseSourceIp,
  parseSubject,
} from '../../src/core/protocol/acl-policy.js';
import { decodeUserInfo, decodeUserList, encodeUserInfo } from '../../src/core/protocol/acl-user.js';
import {
  accountHeader,
  decodePlainAclConfig,
  parsePlainPerm,
  parseResourcePerm,
  validateAccessKey,
} from '../../src/core/protocol/plain-acl.js';
import { parseWhiteAddr, whiteAddrsHeader } from '../../src/core/protocol/plain-acl-white-addrs.js';
import { hintFor } from '../../src/hints.js';
import { withSecretMasked } from '../../src/services/acl-common.js';

const body = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('ACL 2.0 users', () => {
  it('drops the password the broker sends in get and list bodies', () => {
    // As AdminBrokerProcessor#getUser writes it (fastjson, UserConverter copies the password).
    const one = body('{"password":"s3cret-pw","userStatus":"enable","userType":"Normal","username":"alice"}');
    const u = decodeUserInfo(one);
    assert.deepEqual(u, { username: 'alice', userType: 'Normal', userStatus: 'enable' });
    assert.ok(!JSON.stringify(u).includes('s3cret-pw'));
    const list = decodeUserList(
      body([
        { username: 'zed', password: 'p1', userType: 'Super', userStatus: 'enable' },
        { username: 'amy', password: 'p2', userType: 'Normal', userStatus: 'disable' },
      ]),
    );
    assert.deepEqual(
      list.map((x) => x.username),
      ['amy', 'zed'],
    );
    assert.ok(!JSON.stringify(list).includes('"p1"') && !JSON.stringify(list).includes('"p2"'));
  });

  it('reads no body as no user, and refuses what is not a user', () => {
    assert.equal(decodeUserInfo(undefined), undefined);
    assert.equal(decodeUserInfo(Buffer.alloc(0)), undefined);
    assert.deepEqual(decodeUserList(undefined), []);
    assert.throws(() => decodeUserList(body('{"username":"a"}')), ProtocolError);
    assert.throws(() => decodeUserInfo(body('[1]')), ProtocolError);
    assert.throws(() => decodeUserList(body('[' + '['.repeat(100))), ProtocolError);
    assert.throws(() => decodeUserList(Buffer.alloc(9 * 1024 * 1024, 0x20)), ProtocolError);
    // String() of an object whose "toString" is not a function throws a TypeError.
    assert.deepEqual(decodeUserInfo(body('{"username":{"toString":"x"},"userType":["a"]}')), {
      username: '',
      userType: '',
      userStatus: '',
    });
  });

  it('sends only the fields given', () => {
    assert.deepEqual(JSON.parse(encodeUserInfo({ username: 'a', userStatus: 'disable' }).toString()), {
      username: 'a',
      userStatus: 'disable',
    });
  });
});

describe('ACL 2.0 policies', () => {
  it('parses resources into the broker spelling and refuses malformed ones', () => {
    assert.equal(parseResource('topic:orders'), 'Topic:orders');
    assert.equal(parseResource('GROUP:g1'), 'Group:g1');
    assert.equal(parseResource('Topic:*'), 'Topic:*');
    assert.equal(parseResource('Topic:ord*'), 'Topic:ord*');
    assert.equal(parseResource('*'), '*');
    assert.equal(parseResource('Cluster:DefaultCluster'), 'Cluster:DefaultCluster');
    for (const bad of ['orders', 'Queue:x', 'Topic:', 'Topic:a*b', 'Topic:a:b', 'Topic:a b', ':x']) {
      assert.throws(() => parseResource(bad), InvalidArgumentError, bad);
    }
  });

  it('parses subjects, actions, decisions and source IPs', () => {
    assert.equal(parseSubject('alice'), 'User:alice');
    assert.equal(parseSubject('user:alice'), 'User:alice');
    assert.throws(() => parseSubject('Group:x:y'), InvalidArgumentError);
    assert.throws(() => parseSubject(''), InvalidArgumentError);
    assert.deepEqual(parseActions(['pub,SUB', 'Pub']), ['Pub', 'Sub']);
    assert.throws(() => parseActions(['Publish']), InvalidArgumentError);
    assert.throws(() => parseActions(['Any']), InvalidArgumentError, 'the broker refuses Any');
    assert.equal(parseDecision('deny'), 'Deny');
    assert.throws(() => parseDecision('maybe'), InvalidArgumentError);
    assert.equal(parseSourceIp('10.0.0.0/8'), '10.0.0.0/8');
    assert.equal(parseSourceIp('::1'), '::1');
    for (const bad of ['10.0.0', '10.0.0.0/33', 'x', '1.2.3.4/8/9', '10.*.*.*']) {
      assert.throws(() => parseSourceIp(bad), InvalidArgumentError, bad);
    }
  });

  it('writes AclInfo as the broker reads it, and reads it back', () => {
    const sent = JSON.parse(
      encodeAclInfo('User:alice', [
        { resource: 'Topic:orders', actions: ['Pub'], sourceIps: [], decision: 'Allow' },
        { resource: 'Group:g', actions: ['Sub'], sourceIps: ['10.0.0.0/8'], decision: 'Deny' },
      ]).toString(),
    );
    assert.deepEqual(sent, {
      subject: 'User:alice',
      policies: [
        {
          policyType: 'Custom',
          entries: [
            { resource: 'Topic:orders', actions: ['Pub'], decision: 'Allow' },
            { resource: 'Group:g', actions: ['Sub'], sourceIps: ['10.0.0.0/8'], decision: 'Deny' },
          ],
        },
      ],
    });
    // As AclConverter#convertAcl and fastjson write it (sourceIps absent when none).
    const got = decodeAclInfo(
      body(
        '{"policies":[{"entries":[{"actions":["Pub"],"decision":"Allow","resource":"Topic:orders"}],"policyType":"Custom"}],"subject":"User:alice"}',
      ),
    );
    assert.deepEqual(got, {
      subject: 'User:alice',
      policies: [
        {
          policyType: 'Custom',
          entries: [{ resource: 'Topic:orders', actions: ['Pub'], sourceIps: [], decision: 'Allow' }],
        },
      ],
    });
    assert.equal(decodeAclInfo(undefined), undefined);
    assert.deepEqual(decodeAclList(undefined), []);
    assert.throws(() => decodeAclList(body('{"subject":"User:a"}')), ProtocolError);
    assert.throws(() => decodeAclInfo(body('{"subject":"x","policies":{"a":1}}')), ProtocolError);
    assert.equal(decodeAclInfo(body('{"subject":{"toString":1},"policies":[]}'))?.subject, '');
    assert.deepEqual(deleteAclHeader('User:a', undefined), { subject: 'User:a' });
    assert.deepEqual(deleteAclHeader('User:a', 'Topic:t'), {
      subject: 'User:a',
      policyType: 'Custom',
      resource: 'Topic:t',
    });
  });
});

describe('plain ACL (4.x)', () => {
  // As GET_BROKER_CLUSTER_ACL_CONFIG answers on 4.9.7: every secret in clear.
  const config = body({
    globalWhiteAddrs: ['10.10.*.*', ''],
    plainAccessConfigs: [
      { accessKey: 'rmq-readonly', secretKey: 'readonly-secret', admin: false, defaultTopicPerm: 'SUB' },
      {
        accessKey: 'orders-app',
        secretKey: 'orders-secret',
        whiteRemoteAddress: '10.0.0.*',
        admin: false,
        defaultTopicPerm: 'DENY',
        defaultGroupPerm: 'SUB',
        topicPerms: ['orders=PUB'],
        groupPerms: [],
      },
    ],
  });

  it('keeps secrets out of the accounts, and gives them only through secretOf', () => {
    const c = decodePlainAclConfig(config);
    const text = JSON.stringify(c);
    assert.ok(!text.includes('orders-secret') && !text.includes('readonly-secret'), text);
    assert.deepEqual(
      c.accounts.map((a) => a.accessKey),
      ['orders-app', 'rmq-readonly'],
    );
    assert.deepEqual(c.accounts[0], {
      accessKey: 'orders-app',
      whiteRemoteAddress: '10.0.0.*',
      admin: false,
      defaultTopicPerm: 'DENY',
      defaultGroupPerm: 'SUB',
      topicPerms: ['orders=PUB'],
      groupPerms: [],
    });
    assert.equal(c.secretOf('orders-app'), 'orders-secret');
    assert.equal(c.secretOf('nobody'), undefined);
    assert.deepEqual(c.globalWhiteAddrs, ['10.10.*.*'], 'an emptied list reads back as [""]');
    assert.throws(() => decodePlainAclConfig(body('{"plainAccessConfigs":{"a":1}}')), ProtocolError);
    assert.throws(() => decodePlainAclConfig(body('[]')), ProtocolError);
    const hostile = decodePlainAclConfig(
      body('{"plainAccessConfigs":[{"accessKey":{"toString":0},"topicPerms":[{"valueOf":1}]}]}'),
    );
    assert.deepEqual([hostile.accounts[0]!.accessKey, hostile.accounts[0]!.topicPerms], ['', ['']]);
  });

  it('sends the whole account, and checks what the broker would refuse', () => {
    assert.deepEqual(
      accountHeader({
        accessKey: 'orders-app',
        secretKey: 'orders-secret',
        whiteRemoteAddress: '',
        admin: false,
        defaultTopicPerm: 'DENY',
        defaultGroupPerm: 'SUB',
        topicPerms: ['a=PUB', 'b=PUB|SUB'],
        groupPerms: [],
      }),
      {
        accessKey: 'orders-app',
        secretKey: 'orders-secret',
        whiteRemoteAddress: '',
        admin: 'false',
        defaultTopicPerm: 'DENY',
        defaultGroupPerm: 'SUB',
        topicPerms: 'a=PUB,b=PUB|SUB',
      },
    );
    assert.throws(() => validateAccessKey('short'), InvalidArgumentError);
    assert.throws(() => validateAccessKey('has,comma'), InvalidArgumentError);
    validateAccessKey('long-enough');
    assert.equal(parsePlainPerm('sub|pub'), 'PUB|SUB');
    assert.throws(() => parsePlainPerm('ALL'), InvalidArgumentError);
    assert.equal(parseResourcePerm('orders=pub'), 'orders=PUB');
    assert.throws(() => parseResourcePerm('orders'), InvalidArgumentError);
    assert.throws(() => parseResourcePerm('=PUB'), InvalidArgumentError);
    assert.equal(parseWhiteAddr('10.10.1.1-100'), '10.10.1.1-100');
    assert.throws(() => parseWhiteAddr('10.10.{1,2}.*'), InvalidArgumentError);
    assert.deepEqual(whiteAddrsHeader(['a', 'b']), { globalWhiteAddrs: 'a,b', aclFileFullPath: '' });
  });
});

describe('ACL administration errors', () => {
  it('names the release a broker of the other kind needs', () => {
    const v5 = new AclKindError('plain', '127.0.0.1:10911', 479);
    assert.match(v5.message, /runs RocketMQ 5\.3 or later: .* need RocketMQ 4\.x \(up to 5\.1\)/);
    assert.match(hintFor(v5) ?? '', /use `rmq acl user` and `rmq acl policy`/);
    const v52 = new AclKindError('plain', '127.0.0.1:10911', 453);
    assert.match(v52.message, /runs RocketMQ 5\.2: /);
    assert.match(hintFor(v52) ?? '', /edit its plain_acl\.yml/);
    assert.equal(v5.kind, 'invalid-argument');
    const v4 = new AclKindError('acl2', '127.0.0.1:10911', 407);
    assert.match(
      v4.message,
      /runs RocketMQ 4\.x: users and policies \(ACL 2\.0\) need RocketMQ 5\.3 or later/,
    );
    assert.match(hintFor(v4) ?? '', /use `rmq acl account` and `rmq acl whitelist`/);
  });

  it('masks a secret a broker quotes back', async () => {
    const err = await withSecretMasked('abc123xyz', () =>
      Promise.reject(new Error('The accessKey=k and secretKey=abc123xyz cannot be null')),
    ).catch((e: Error) => e);
    assert.ok(err instanceof Error);
    assert.equal(err.message, 'The accessKey=k and secretKey=*** cannot be null');
    assert.ok(!err.stack?.includes('abc123xyz'));
  });
});
