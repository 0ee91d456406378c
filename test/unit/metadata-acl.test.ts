/** ACL 2.0 users and policies in the metadata plan (services/metadata/acl.ts): pure, no broker. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AclMasterState, entrySpec, exportAcl, planAcl } from '../../src/services/metadata/acl.js';
import type { AclSpec } from '../../src/services/metadata/document.js';

const master = (brokerName: string) => ({
  cluster: 'C',
  brokerName,
  address: `127.0.0.1:${brokerName === 'broker-a' ? 10911 : 10915}`,
  version: '5.3.3',
  v5: true,
});

function state(): { masters: AclMasterState[] } {
  const one = (name: string): AclMasterState => ({
    master: master(name),
    users: new Map([
      ['rmq-admin', { username: 'rmq-admin', userType: 'Super', userStatus: 'enable' }],
      ['alice', { username: 'alice', userType: 'Normal', userStatus: 'enable' }],
    ]),
    policies: new Map([
      [
        'User:alice',
        [
          entrySpec({ resource: 'Topic:orders', actions: ['Sub', 'Pub'], sourceIps: [], decision: 'Allow' }),
          entrySpec({ resource: 'Group:old', actions: ['Sub'], sourceIps: [], decision: 'Allow' }),
        ],
      ],
    ]),
    secrets: new Map([['alice', 'pw-a']]),
  });
  return { masters: [one('broker-a'), one('broker-b')] };
}

test('export: users without passwords unless read, custom policies with sorted actions', () => {
  const s = state();
  const doc = exportAcl(s);
  assert.deepEqual(doc.users!.alice, { type: 'Normal', status: 'enable', password: 'pw-a' });
  assert.deepEqual(doc.users!['rmq-admin'], { type: 'Super', status: 'enable' });
  assert.deepEqual(
    doc.policies!['User:alice']!.find((e) => e.resource === 'Topic:orders'),
    {
      resource: 'Topic:orders',
      actions: ['Pub', 'Sub'],
      decision: 'Allow',
    },
  );
  for (const m of s.masters) m.secrets = undefined;
  assert.equal(exportAcl(s).users!.alice!.password, undefined);
});

test('an exported document plans nothing against the same cluster', () => {
  const s = state();
  const doc = exportAcl(s);
  const p = planAcl(doc, s);
  assert.deepEqual(p.items, []);
  assert.equal(p.unchanged, 3);
  assert.deepEqual(p.work, { users: [], policies: [] });
});

test('a user to create without a password is refused before anything is sent', () => {
  assert.throws(
    () => planAcl({ users: { carol: { type: 'Normal' } } }, state()),
    /acl user carol does not exist on broker-a and the document gives no password/,
  );
});

test('creates, updates and policy entries: put what differs, delete resources the document drops', () => {
  const doc: AclSpec = {
    users: { carol: { password: 'pw-c' }, alice: { status: 'disable' } },
    policies: {
      'User:alice': [{ resource: 'Topic:orders', actions: ['Pub'], decision: 'Allow' }],
      'User:carol': [{ resource: 'Topic:*', actions: ['Sub'], decision: 'Deny' }],
    },
  };
  const p = planAcl(doc, state());
  const by = (kind: string, name: string) => p.items.find((i) => i.kind === kind && i.name === name);
  assert.equal(by('user', 'carol')?.action, 'create');
  assert.deepEqual(by('user', 'carol')?.brokers, ['broker-a', 'broker-b']);
  // The password is never shown in the plan.
  assert.ok(!JSON.stringify(p.items).includes('pw-c'));
  assert.deepEqual(by('user', 'alice')?.changes, [
    { field: 'status', old: 'enable', new: 'disable', brokers: ['broker-a', 'broker-b'] },
  ]);
  assert.equal(by('policy', 'User:alice')?.action, 'update');
  assert.equal(by('policy', 'User:carol')?.action, 'create');
  assert.equal(by('user', 'rmq-admin')?.action, 'extra');
  assert.match(p.notes.join('\n'), /never pruned/);
  const alice = p.work.policies.find(
    (w) => w.subject === 'User:alice' && w.master.brokerName === 'broker-a',
  )!;
  assert.deepEqual(alice.remove, ['Group:old']);
  assert.deepEqual(alice.put, [{ resource: 'Topic:orders', actions: ['Pub'], decision: 'Allow' }]);
  assert.equal(alice.exists, true);
  assert.deepEqual(
    p.work.users.map((u) => [u.username, u.create, u.master.brokerName]),
    [
      ['alice', false, 'broker-a'],
      ['alice', false, 'broker-b'],
      ['carol', true, 'broker-a'],
      ['carol', true, 'broker-b'],
    ],
  );
});
