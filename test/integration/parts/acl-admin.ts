/**
 * `rmq acl …` against real brokers started by `rmq local up --acl`: the 5.3.3 and 4.9.7 clusters
 * of security.test.ts, which runs these tests after its own (two cluster starts fewer, each about
 * a minute of a loaded 2-core box). 5.3.3: a Normal user and its policies change what the broker
 * lets it do (send/consume with its own credentials); 4.9.7: a plain ACL account and the global
 * white list. Every change is read back by the command itself (`applied`) and checked here by
 * what the broker then allows. No password or secret shows in any output. Names are the tests'
 * own, so what security.test.ts left on a cluster (its users) does not matter.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { UpResult } from '../../../src/local/cluster.js';
import type {
  AclAccountChangeResult,
  AclAccountListResult,
  AclWhitelistResult,
} from '../../../src/services/acl-accounts.js';
import type { AclPolicyChangeResult, AclPolicyGetResult } from '../../../src/services/acl-policies.js';
import type {
  AclUserChangeResult,
  AclUserGetResult,
  AclUserListResult,
} from '../../../src/services/acl-users.js';
import { type CliOptions, type CliResult, eventually, rmq, uniqueName } from '../../helpers/cli.js';
import { UP_TIMEOUT_MS } from '../../helpers/cluster.js';
import { assertSchema } from '../../helpers/schema.js';

interface ErrorBody {
  error: { kind: string; message: string; exitCode: number; hint?: string; code?: number };
}

const TEST_TIMEOUT = UP_TIMEOUT_MS + 240_000;
const show = (r: CliResult): string => `exit ${r.code}\n${r.stdout}${r.stderr}`;
const errorOf = (r: CliResult): ErrorBody['error'] => {
  const e = (r.json as ErrorBody | undefined)?.error;
  assert.ok(e, `expected a JSON error, got ${show(r)}`);
  return e;
};

/** The shared clusters: each resolves to its `local up --acl --show-secret` result. */
export interface AclClusters {
  /** A dir of the file's own, for the documents the tests write. */
  root: () => string;
  acl5: () => Promise<UpResult>;
  acl49: () => Promise<UpResult>;
}

export function aclAdminTests(clusters: AclClusters): void {
  describe('ACL administration', () => {
    /** A CLI runner for one cluster with the given credentials, nothing from the outer environment. */
    function runner(namesrv: string, accessKey: string, secretKey: string) {
      const env = {
        NAMESRV_ADDR: namesrv,
        RMQ_PROFILES_FILE: join(clusters.root(), 'no-profiles.json'),
        RMQ_PROFILE: undefined,
        RMQ_ACCESS_KEY: accessKey,
        RMQ_SECRET_KEY: secretKey,
      };
      return async (args: string[], o: CliOptions = {}) => {
        const r = await rmq(args, { ...o, env: { ...env, ...o.env } });
        // Every `rmq acl … --json` document against its committed schema.
        if (args[0] === 'acl' && args.includes('--json') && r.json !== undefined) {
          assertSchema(r.code === 0 ? args.slice(0, 3).join('-') : 'error', r.json);
        }
        return r;
      };
    }

    test(
      '5.3.3: a Normal user and its policies decide what it may do; update, deny, delete; bad input changes nothing',
      { timeout: TEST_TIMEOUT },
      async () => {
        const cluster = await clusters.acl5();
        const admin = runner(cluster.namesrvAddr, 'rmq-admin', cluster.acl!.secretKey);
        const user = uniqueName('alice').toLowerCase();
        const password = `pw-${uniqueName('x')}`;
        const asUser = runner(cluster.namesrvAddr, user, password);
        const allowed = uniqueName('acl-orders');
        const other = uniqueName('acl-other');
        const outputs: CliResult[] = [];
        const run = async (args: string[], o: CliOptions = {}) => {
          const r = await admin(args, o);
          outputs.push(r);
          return r;
        };

        const listed = await eventually(
          () => run(['acl', 'user', 'list', '--json']),
          (r) => r.code === 0,
        );
        assert.equal(listed.code, 0, show(listed));
        assert.ok(
          (listed.json as AclUserListResult).users.some(
            (u) => u.username === 'rmq-admin' && u.userType === 'Super',
          ),
        );
        for (const t of [allowed, other]) assert.equal((await run(['topic', 'create', t, '--json'])).code, 0);

        // Without --yes and off a terminal: refused, and nothing created.
        const unconfirmed = await run(['acl', 'user', 'create', user, '--password-stdin', '--json'], {
          input: password,
        });
        assert.equal(unconfirmed.code, 2, show(unconfirmed));
        assert.match(errorOf(unconfirmed).message, /refusing to create user .* without confirmation/);
        assert.equal((await run(['acl', 'user', 'get', user, '--json'])).code, 6);

        const created = await run(['acl', 'user', 'create', user, '--password-stdin', '--yes', '--json'], {
          input: `${password}\n`,
        });
        assert.equal(created.code, 0, show(created));
        const c = created.json as AclUserChangeResult;
        assert.equal(c.setsPassword, true);
        assert.deepEqual(
          c.brokers.map((b) => [b.userType.new, b.userStatus.new, b.action, b.applied]),
          [['Normal', 'enable', 'create', true]],
        );
        const again = await run(['acl', 'user', 'create', user, '--password-stdin', '--yes', '--json'], {
          input: password,
        });
        assert.equal(again.code, 2, show(again));
        assert.match(errorOf(again).message, /exists already on broker-a/);

        const got = await run(['acl', 'user', 'get', user, '--json']);
        assert.equal(got.code, 0, show(got));
        assert.deepEqual((got.json as AclUserGetResult).brokers[0]!.user, {
          username: user,
          userType: 'Normal',
          userStatus: 'enable',
        });
        const table = await run(['acl', 'user', 'list']);
        assert.match(table.stdout, new RegExp(`${user}\\s+Normal\\s+enable`));

        // No policy yet: authenticated, refused.
        const before = await asUser(['send', allowed, '--body', 'x']);
        assert.equal(before.code, 5, show(before));

        // Bad input: one line, exit 2 or 6, nothing sent.
        const malformed = await run([
          'acl',
          'policy',
          'create',
          user,
          '-r',
          'Topc:x',
          '--actions',
          'Pub',
          '--yes',
        ]);
        assert.equal(malformed.code, 2, show(malformed));
        assert.equal(malformed.stderr.trim().split('\n').length, 1, malformed.stderr);
        assert.match(malformed.stderr, /invalid resource "Topc:x"/);
        const badAction = await run([
          'acl',
          'policy',
          'create',
          user,
          '-r',
          `Topic:${allowed}`,
          '--actions',
          'Fly',
          '--yes',
        ]);
        assert.equal(badAction.code, 2, show(badAction));
        const ghost = await run([
          'acl',
          'policy',
          'create',
          'ghost-user',
          '-r',
          `Topic:${allowed}`,
          '--actions',
          'Pub',
          '--yes',
          '--json',
        ]);
        assert.equal(ghost.code, 6, show(ghost));
        assert.match(errorOf(ghost).message, /user ghost-user does not exist on broker-a/);
        const noYes = await run([
          'acl',
          'policy',
          'create',
          user,
          '-r',
          `Topic:${allowed}`,
          '--actions',
          'Pub',
        ]);
        assert.equal(noYes.code, 2, show(noYes));
        const dry = await run([
          'acl',
          'policy',
          'create',
          user,
          '-r',
          `Topic:${allowed}`,
          '--actions',
          'Pub',
          '--dry-run',
        ]);
        assert.equal(dry.code, 0, show(dry));
        assert.match(dry.stdout, /Plan: create 1 policy entry of User:/);
        const untouched = await run(['acl', 'policy', 'get', user, '--json']);
        assert.equal(untouched.code, 0, show(untouched));
        assert.deepEqual((untouched.json as AclPolicyGetResult).brokers[0]!.policies, []);

        const granted = await run([
          'acl',
          'policy',
          'create',
          user,
          '-r',
          `Topic:${allowed}`,
          '--actions',
          'Pub',
          '--yes',
          '--json',
        ]);
        assert.equal(granted.code, 0, show(granted));
        const g = granted.json as AclPolicyChangeResult;
        assert.equal(g.subject, `User:${user}`);
        assert.deepEqual(
          g.entries.map((e) => [e.resource, e.action, e.new, e.applied]),
          [[`Topic:${allowed}`, 'add', { actions: ['Pub'], sourceIps: [], decision: 'Allow' }, true]],
        );
        const sent = await asUser(['send', allowed, '--body', 'allowed']);
        assert.equal(sent.code, 0, show(sent));
        const elsewhere = await asUser(['send', other, '--body', 'x']);
        assert.equal(elsewhere.code, 5, show(elsewhere));
        assert.match(elsewhere.stderr, /NO_PERMISSION \(16\).*no permission to access Topic:/);
        const sub = await asUser([
          'consume',
          allowed,
          '-g',
          uniqueName('g'),
          '--from',
          'first',
          '--count',
          '1',
          '--json',
        ]);
        assert.equal(sub.code, 5, show(sub));
        assert.equal(errorOf(sub).code, 16);

        const policies = await run(['acl', 'policy', 'list', '--subject', user, '--json']);
        assert.equal(policies.code, 0, show(policies));
        const entries = (
          policies.json as { acls: { subject: string; policies: { entries: { resource: string }[] }[] }[] }
        ).acls;
        assert.deepEqual(
          entries.map((a) => [a.subject, a.policies.flatMap((p) => p.entries.map((e) => e.resource))]),
          [[`User:${user}`, [`Topic:${allowed}`]]],
        );

        // Deny: the same send is refused now.
        const denied = await run([
          'acl',
          'policy',
          'update',
          user,
          '-r',
          `Topic:${allowed}`,
          '--decision',
          'Deny',
          '--yes',
          '--json',
        ]);
        assert.equal(denied.code, 0, show(denied));
        const d = (denied.json as AclPolicyChangeResult).entries[0]!;
        assert.deepEqual([d.old?.decision, d.new?.decision, d.applied], ['Allow', 'Deny', true]);
        const afterDeny = await asUser(['send', allowed, '--body', 'x']);
        assert.equal(afterDeny.code, 5, show(afterDeny));
        assert.match(afterDeny.stderr, /the decision is deny/);
        const noEntry = await run([
          'acl',
          'policy',
          'update',
          user,
          '-r',
          `Topic:${other}`,
          '--decision',
          'Allow',
          '--yes',
        ]);
        assert.equal(noEntry.code, 6, show(noEntry));

        // One entry of several deleted: the others stay.
        const group = uniqueName('g');
        const extra = await run([
          'acl',
          'policy',
          'create',
          user,
          '-r',
          `Group:${group}`,
          '--actions',
          'Sub',
          '--yes',
        ]);
        assert.equal(extra.code, 0, show(extra));
        const dropped = await run([
          'acl',
          'policy',
          'delete',
          user,
          '-r',
          `Group:${group}`,
          '--yes',
          '--json',
        ]);
        assert.equal(dropped.code, 0, show(dropped));
        assert.deepEqual(
          (dropped.json as AclPolicyChangeResult).entries.map((e) => [e.resource, e.action, e.applied]),
          [[`Group:${group}`, 'delete', true]],
        );
        const left = await run(['acl', 'policy', 'get', user, '--json']);
        assert.deepEqual(
          (left.json as AclPolicyGetResult).brokers[0]!.policies.flatMap((p) =>
            p.entries.map((e) => e.resource),
          ),
          [`Topic:${allowed}`],
        );

        // Disabled, then deleted: refused.
        const back = await run([
          'acl',
          'policy',
          'update',
          user,
          '-r',
          `Topic:${allowed}`,
          '--decision',
          'Allow',
          '--yes',
        ]);
        assert.equal(back.code, 0, show(back));
        assert.equal((await asUser(['send', allowed, '--body', 'x'])).code, 0);
        const disabled = await run(['acl', 'user', 'update', user, '--status', 'disable', '--yes', '--json']);
        assert.equal(disabled.code, 0, show(disabled));
        const dis = (disabled.json as AclUserChangeResult).brokers[0]!;
        assert.deepEqual([dis.userStatus.old, dis.userStatus.new, dis.applied], ['enable', 'disable', true]);
        const whileDisabled = await asUser(['send', allowed, '--body', 'x']);
        assert.equal(whileDisabled.code, 5, show(whileDisabled));
        assert.equal((await run(['acl', 'user', 'update', user, '--status', 'enable', '--yes'])).code, 0);
        assert.equal((await asUser(['send', allowed, '--body', 'x'])).code, 0);
        const removed = await run(['acl', 'user', 'delete', user, '--yes', '--json']);
        assert.equal(removed.code, 0, show(removed));
        assert.deepEqual(
          (removed.json as AclUserChangeResult).brokers.map((b) => [b.action, b.applied]),
          [['delete', true]],
        );
        const gone = await asUser(['send', allowed, '--body', 'x']);
        assert.equal(gone.code, 5, show(gone));
        assert.equal((await run(['acl', 'user', 'get', user])).code, 6);
        assert.equal((await run(['acl', 'user', 'delete', user, '--yes'])).code, 6);

        // Metadata as code: users and policies in export/diff/apply (--include acl).
        const metaUser = uniqueName('meta').toLowerCase();
        const metaPassword = `pw-${uniqueName('m')}`;
        const docFile = join(clusters.root(), 'acl-doc.json');
        const doc = (password?: string) =>
          writeFileSync(
            docFile,
            JSON.stringify({
              apiVersion: 'rmq/v1',
              kind: 'ClusterMetadata',
              acl: {
                users: { [metaUser]: { type: 'Normal', ...(password ? { password } : {}) } },
                policies: {
                  [`User:${metaUser}`]: [
                    { resource: `Topic:${allowed}`, actions: ['Pub'], decision: 'Allow' },
                  ],
                },
              },
            }),
          );
        doc();
        const noPassword = await run(['apply', '-f', docFile, '--include', 'acl', '--yes']);
        assert.equal(noPassword.code, 2, show(noPassword));
        assert.equal(noPassword.stderr.trim().split('\n').length, 1, show(noPassword));
        assert.match(noPassword.stderr, new RegExp(`acl user ${metaUser} does not exist on .* no password`));
        doc(metaPassword);
        const applied = await run(['apply', '-f', docFile, '--include', 'acl', '--yes', '--json']);
        assert.equal(applied.code, 0, show(applied));
        const ar = applied.json as {
          applied: boolean;
          plan: { items: { kind: string; name: string; action: string }[] };
        };
        assert.equal(ar.applied, true);
        assert.deepEqual(
          ar.plan.items.filter((i) => i.action !== 'extra').map((i) => [i.kind, i.name, i.action]),
          [
            ['user', metaUser, 'create'],
            ['policy', `User:${metaUser}`, 'create'],
          ],
        );
        const asMeta = runner(cluster.namesrvAddr, metaUser, metaPassword);
        assert.equal((await asMeta(['send', allowed, '--body', 'via-apply'])).code, 0);
        const second = await run(['apply', '-f', docFile, '--include', 'acl', '--yes', '--json']);
        assert.equal(second.code, 0, show(second));
        assert.equal((second.json as { noop: boolean }).noop, true, show(second));

        const exported = await run(['export', '--include', 'acl', '--format', 'json', '--json']);
        assert.equal(exported.code, 0, show(exported));
        const acl = (
          exported.json as {
            document: { acl: { users: Record<string, unknown>; policies: Record<string, unknown> } };
          }
        ).document.acl;
        assert.deepEqual(acl.users[metaUser], { type: 'Normal', status: 'enable' });
        assert.deepEqual(acl.policies[`User:${metaUser}`], [
          { resource: `Topic:${allowed}`, actions: ['Pub'], decision: 'Allow' },
        ]);
        const secret = await admin([
          'export',
          '--include',
          'acl',
          '--with-secrets',
          '--format',
          'json',
          '--json',
        ]);
        assert.equal(
          (secret.json as { document: { acl: { users: Record<string, { password?: string }> } } }).document
            .acl.users[metaUser]?.password,
          metaPassword,
        );
        const exportFile = join(clusters.root(), 'acl-export.yaml');
        assert.equal((await run(['export', '--include', 'acl', '-o', exportFile])).code, 0);
        const clean = await run(['diff', '-f', exportFile, '--include', 'acl']);
        assert.equal(clean.code, 0, show(clean));
        assert.equal((await run(['acl', 'user', 'delete', metaUser, '--yes'])).code, 0);

        // A plain-ACL command against 5.3: one line naming the release it needs.
        const plain = await run(['acl', 'account', 'list']);
        assert.equal(plain.code, 2, show(plain));
        assert.equal(plain.stderr.trim().split('\n').length, 1, plain.stderr);
        assert.match(plain.stderr, /plain ACL accounts and the white list need RocketMQ 4\.x \(up to 5\.1\)/);

        for (const r of outputs)
          assert.ok(!`${r.stdout}${r.stderr}`.includes(password), `password shown: ${show(r)}`);
      },
    );

    test(
      '4.9.7: a plain ACL account works, changes and goes; the global white list is set and read back',
      { timeout: TEST_TIMEOUT },
      async () => {
        const cluster = await clusters.acl49();
        const admin = runner(cluster.namesrvAddr, 'rmq-admin', cluster.acl!.secretKey);
        const key = uniqueName('app-writer');
        const secret = `secret-${uniqueName('s')}`;
        const asApp = runner(cluster.namesrvAddr, key, secret);
        const allowed = uniqueName('acl49-orders');
        const other = uniqueName('acl49-other');
        const outputs: CliResult[] = [];
        const run = async (args: string[], o: CliOptions = {}) => {
          const r = await admin(args, o);
          outputs.push(r);
          return r;
        };

        const listed = await eventually(
          () => run(['acl', 'account', 'list', '--json']),
          (r) => r.code === 0,
        );
        assert.equal(listed.code, 0, show(listed));
        assert.deepEqual(
          (listed.json as AclAccountListResult).accounts.map((a) => [a.accessKey, a.admin]),
          [
            ['rmq-admin', true],
            ['rmq-readonly', false],
          ],
        );
        assert.ok(!listed.stdout.includes(cluster.acl!.secretKey), 'a secret in the account list');
        for (const t of [allowed, other]) assert.equal((await run(['topic', 'create', t, '--json'])).code, 0);

        const unconfirmed = await run(['acl', 'account', 'create', key, '--password-stdin'], {
          input: secret,
        });
        assert.equal(unconfirmed.code, 2, show(unconfirmed));
        const created = await run(
          [
            'acl',
            'account',
            'create',
            key,
            '--password-stdin',
            '--topic-perm',
            `${allowed}=PUB`,
            '--yes',
            '--json',
          ],
          { input: secret },
        );
        assert.equal(created.code, 0, show(created));
        const c = (created.json as AclAccountChangeResult).brokers[0]!;
        assert.deepEqual(
          [c.action, c.applied, c.new?.topicPerms, c.new?.admin],
          ['create', true, [`${allowed}=PUB`], false],
        );
        assert.equal((await asApp(['send', allowed, '--body', 'x'])).code, 0);
        const elsewhere = await asApp(['send', other, '--body', 'x']);
        assert.equal(elsewhere.code, 5, show(elsewhere));
        assert.match(elsewhere.stderr, /No default permission for topic:/);

        // An update keeps the secret (the broker's own is sent back) and what is not named.
        const updated = await run([
          'acl',
          'account',
          'update',
          key,
          '--topic-perm',
          `${other}=PUB`,
          '--yes',
          '--json',
        ]);
        assert.equal(updated.code, 0, show(updated));
        const u = (updated.json as AclAccountChangeResult).brokers[0]!;
        assert.deepEqual([u.new?.topicPerms, u.applied], [[`${allowed}=PUB`, `${other}=PUB`], true]);
        assert.equal((await asApp(['send', other, '--body', 'x'])).code, 0, 'the secret still works');
        const missing = await run(['acl', 'account', 'update', 'no-such-account', '--admin', '--yes']);
        assert.equal(missing.code, 6, show(missing));
        const shortKey = await run(['acl', 'account', 'create', 'abc', '--password', 'x', '--yes']);
        assert.equal(shortKey.code, 2, show(shortKey));

        const noAddress = await run(['acl', 'whitelist', 'set', '--yes']);
        assert.equal(noAddress.code, 2, show(noAddress));
        assert.match(noAddress.stderr, /no address given/);
        const badAddress = await run(['acl', 'whitelist', 'set', '10.10.{1,2}.*', '--yes']);
        assert.equal(badAddress.code, 2, show(badAddress));
        const set = await run(['acl', 'whitelist', 'set', '10.10.*.*', '192.168.0.1-20', '--yes', '--json']);
        assert.equal(set.code, 0, show(set));
        const read = await run(['acl', 'whitelist', 'get', '--json']);
        assert.deepEqual((read.json as AclWhitelistResult).brokers[0]!.addresses, [
          '10.10.*.*',
          '192.168.0.1-20',
        ]);
        const cleared = await run(['acl', 'whitelist', 'set', '--none', '--yes']);
        assert.equal(cleared.code, 0, show(cleared));
        const empty = await run(['acl', 'whitelist', 'get', '--json']);
        assert.deepEqual((empty.json as AclWhitelistResult).brokers[0]!.addresses, []);

        const removed = await run(['acl', 'account', 'delete', key, '--yes', '--json']);
        assert.equal(removed.code, 0, show(removed));
        assert.equal((removed.json as AclAccountChangeResult).brokers[0]!.applied, true);
        const gone = await asApp(['send', allowed, '--body', 'x']);
        assert.equal(gone.code, 5, show(gone));
        assert.match(gone.stderr, /unknown access key/);

        // An ACL 2.0 command against 4.9: one line naming the release it needs.
        const acl2 = await run(['acl', 'user', 'list', '--json']);
        assert.equal(acl2.code, 2, show(acl2));
        assert.match(errorOf(acl2).message, /users and policies \(ACL 2\.0\) need RocketMQ 5\.3 or later/);

        // Metadata as code on 4.9: acl is left out with a reason, the rest of the export goes on.
        const exported = await run(['export', '--include', 'topics,acl', '--format', 'json', '--json']);
        assert.equal(exported.code, 0, show(exported));
        const skipped = (exported.json as { skipped: { include: string; reason: string }[] }).skipped;
        assert.equal(skipped.length, 1, show(exported));
        assert.match(skipped[0]!.reason, /not supported by .*plain ACL accounts are not exported/);

        for (const r of outputs)
          assert.ok(!`${r.stdout}${r.stderr}`.includes(secret), `secret shown: ${show(r)}`);
      },
    );
  });
}
