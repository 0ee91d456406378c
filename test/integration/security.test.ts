/**
 * ACL and TLS against real brokers started by `rmq local up --acl / --tls`, each on ports and in a
 * dir of its own (beside the suite's cluster), with a profiles file of its own. The 5.3.3 and
 * 4.9.7 ACL clusters are started by the first test that needs them, serve the ACL administration
 * tests too (parts/acl-admin.ts, run after these), and go down in the file's last test. Expected
 * rejections: 5.x answers an ACL failure with NO_PERMISSION (16), 4.9 with SYSTEM_ERROR (1) and
 * the AclException text; both are exit 5 (BROKER). A server in TLS `enforcing` mode closes a plain
 * connection, and an unverified certificate fails the connect: both exit 3 (CONNECTION).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RemotingClient } from '../../src/core/client/remoting-client.js';
import type { UpResult } from '../../src/local/cluster.js';
import { type CliOptions, type CliResult, eventually, rmq, uniqueName } from '../helpers/cli.js';
import { startFailureOutput, UP_TIMEOUT_MS, UP_WAIT } from '../helpers/cluster.js';
import { freeClusterPorts } from '../helpers/ports.js';
import { aclAdminTests } from './parts/acl-admin.js';

interface ErrorBody {
  error: { kind: string; message: string; exitCode: number; hint?: string; code?: number };
}

const LONG = { timeoutMs: UP_TIMEOUT_MS };
/** A `local up` that may take its whole wait, and the rest of the test. */
const TEST_TIMEOUT = UP_TIMEOUT_MS + 180_000;
const errorOf = (r: CliResult): ErrorBody['error'] => {
  const e = (r.json as ErrorBody | undefined)?.error;
  assert.ok(e, `expected a JSON error, got exit ${r.code}: ${r.stdout}${r.stderr}`);
  return e;
};
const show = (r: CliResult): string => `exit ${r.code}\n${r.stdout}${r.stderr}`;

let root: string;
const dirs: string[] = [];

before(() => {
  root = mkdtempSync(join(tmpdir(), 'rmq-security-it-'));
});

after(async () => {
  // Whatever a failed assertion left running.
  for (const d of dirs) await rmq(['local', 'down', '--dir', d, '--purge', '--timeout', '5s', '--json']);
  rmSync(root, { recursive: true, force: true });
});

/** A cluster of the test's own, on free ports. */
async function up(name: string, args: string[], profiles: string): Promise<UpResult> {
  const dir = join(root, name);
  dirs.push(dir);
  const { namesrvPort, brokerPort } = await freeClusterPorts();
  const ports = ['--namesrv-port', String(namesrvPort), '--broker-port', String(brokerPort)];
  const r = await rmq(['local', 'up', '--dir', dir, ...args, ...ports, ...UP_WAIT, '--json'], {
    ...LONG,
    env: { RMQ_PROFILES_FILE: profiles },
  });
  assert.equal(r.code, 0, `${show(r)}\n${startFailureOutput(dir)}`);
  return r.json as UpResult;
}

async function down(result: UpResult): Promise<void> {
  const r = await rmq(['local', 'down', '--dir', result.dir, '--purge', '--json'], LONG);
  assert.equal(r.code, 0, show(r));
}

/** The shared ACL clusters, each started once, by the first test that asks. */
const SHARED = {
  // --use: the profile becomes current only when asked (the first test checks it).
  acl5: ['--version', '5.3.3', '--acl', '--show-secret', '--use'],
  acl49: ['--version', '4.9.7', '--acl', '--show-secret'],
};
const shared = new Map<keyof typeof SHARED, Promise<UpResult>>();
function aclCluster(name: keyof typeof SHARED): Promise<UpResult> {
  let p = shared.get(name);
  if (!p) {
    p = up(name, SHARED[name], join(root, `profiles-${name}.json`));
    shared.set(name, p);
  }
  return p;
}

describe('ACL and TLS', () => {
  /**
   * A CLI runner for one cluster: the name server of that cluster, this test's profiles file, and
   * no credentials or TLS settings from the outer environment unless given.
   */
  function runner(namesrv: string | undefined, profiles: string) {
    const base: Record<string, string | undefined> = {
      NAMESRV_ADDR: namesrv,
      RMQ_PROFILES_FILE: profiles,
      RMQ_PROFILE: undefined,
      RMQ_ACCESS_KEY: undefined,
      RMQ_SECRET_KEY: undefined,
      RMQ_TLS: undefined,
      RMQ_TLS_CA: undefined,
      RMQ_TLS_INSECURE: undefined,
    };
    return (args: string[], env: Record<string, string | undefined> = {}, o: CliOptions = {}) =>
      rmq(args, { ...o, env: { ...base, ...env } });
  }

  test(
    '5.3.3 --acl: credentials work, missing/wrong ones and a user without rights are refused; the local profile',
    { timeout: TEST_TIMEOUT },
    async () => {
      const profiles = join(root, 'profiles-acl5.json');
      const result = await aclCluster('acl5');
      assert.equal(result.tls, false);
      assert.equal(result.acl?.accessKey, 'rmq-admin');
      const secret = result.acl!.secretKey;
      assert.match(secret, /^[A-Za-z0-9]{24}$/);
      assert.equal(result.acl?.readOnly, undefined, '5.x users live in the store, not in a file');
      assert.deepEqual(result.profile, { name: 'local', file: profiles, current: true });

      const run = runner(result.namesrvAddr, join(root, 'no-profiles.json'));
      const admin = { RMQ_ACCESS_KEY: 'rmq-admin', RMQ_SECRET_KEY: secret };
      const topic = uniqueName('acl5');

      // The 5.3 name server checks nothing, the broker everything.
      const list = await eventually(
        () => run(['cluster', 'list', '--json'], admin),
        (r) => r.stdout.includes('V5_3_3'),
      );
      assert.equal(list.code, 0, show(list));
      assert.match(list.stdout, /V5_3_3/, show(list));

      const created = await run(['topic', 'create', topic, '--json'], admin);
      assert.equal(created.code, 0, show(created));
      const described = await run(['topic', 'describe', topic, '--json'], admin);
      assert.equal(described.code, 0, show(described));
      const sent = await run(['send', topic, '--body', 'hello-acl'], admin);
      assert.equal(sent.code, 0, show(sent));
      const consumed = await run(
        ['consume', topic, '-g', uniqueName('g'), '--from', 'first', '--count', '1', '--output', 'body'],
        admin,
      );
      assert.equal(consumed.code, 0, show(consumed));
      assert.equal(consumed.stdout.trim(), 'hello-acl');

      const anonymous = await run(['topic', 'create', uniqueName('x'), '--json']);
      assert.equal(anonymous.code, 5, show(anonymous));
      assert.equal(errorOf(anonymous).code, 16);
      assert.match(errorOf(anonymous).message, /^NO_PERMISSION \(16\): the broker requires ACL credentials/);
      assert.match(errorOf(anonymous).hint ?? '', /RMQ_ACCESS_KEY and RMQ_SECRET_KEY/);
      const anonymousText = await run(['topic', 'describe', topic]);
      assert.equal(anonymousText.code, 5);
      assert.equal(anonymousText.stderr.trim().split('\n').length, 1, anonymousText.stderr);
      // A consumer's first contact is its heartbeat: the refusal must come through as such.
      const anonymousConsume = await run(['consume', topic, '-g', uniqueName('g'), '--count', '1', '--json']);
      assert.equal(anonymousConsume.code, 5, show(anonymousConsume));
      assert.equal(errorOf(anonymousConsume).code, 16);

      const wrong = { RMQ_ACCESS_KEY: 'rmq-admin', RMQ_SECRET_KEY: 'not-the-secret' };
      const badSecret = await run(['topic', 'create', uniqueName('x'), '--json'], wrong);
      assert.equal(badSecret.code, 5, show(badSecret));
      assert.match(errorOf(badSecret).message, /check signature failed.*wrong secret key/);

      // Nothing prints a secret or a signature, not even --debug.
      for (const env of [admin, wrong]) {
        const debug = await run(['topic', 'describe', uniqueName('missing'), '--debug'], env);
        assert.notEqual(debug.code, 0);
        const out = debug.stdout + debug.stderr;
        assert.ok(!out.includes(env.RMQ_SECRET_KEY), 'secret key printed');
        assert.doesNotMatch(out, /Signature/);
      }

      // A NORMAL user with no ACL policy: authenticated, then denied everything.
      const client = new RemotingClient({
        timeoutMs: 5000,
        credentials: { accessKey: 'rmq-admin', secretKey: secret },
      });
      try {
        const user = { username: 'rmq-nobody', password: 'nobody-password', userType: 'Normal' };
        await client.call(
          result.brokerAddr,
          3001,
          { username: user.username },
          {
            body: Buffer.from(JSON.stringify(user)),
          },
        );
      } finally {
        client.close();
      }
      const nobody = { RMQ_ACCESS_KEY: 'rmq-nobody', RMQ_SECRET_KEY: 'nobody-password' };
      const denied = await run(['topic', 'create', uniqueName('x'), '--json'], nobody);
      assert.equal(denied.code, 5, show(denied));
      assert.equal(errorOf(denied).code, 16);
      assert.match(
        errorOf(denied).message,
        /access denied by the broker's ACL: User:rmq-nobody has no permission/,
      );
      const deniedSend = await run(['send', topic, '--body', 'x'], nobody);
      assert.equal(deniedSend.code, 5, show(deniedSend));
      assert.match(deniedSend.stderr, /NO_PERMISSION \(16\): access denied .*rmq-nobody has no permission/);

      // (d) the profile `up` wrote is all it takes.
      const viaProfile = runner(undefined, profiles);
      const byProfile = await viaProfile(['cluster', 'list', '--profile', 'local', '--json']);
      assert.equal(byProfile.code, 0, show(byProfile));
      assert.match(byProfile.stdout, new RegExp(result.brokerAddr.replace(/\./g, '\\.')));
      assert.match(byProfile.stdout, /V5_3_3/, `the broker answered a signed request: ${show(byProfile)}`);
      const describedByProfile = await viaProfile(['topic', 'describe', topic, '--profile', 'local']);
      assert.equal(describedByProfile.code, 0, show(describedByProfile));
      const shown = await viaProfile(['profile', 'show', 'local']);
      assert.equal(shown.code, 0, show(shown));
      assert.ok(!shown.stdout.includes(secret), 'profile show printed the secret');
      assert.match(shown.stdout, /secretKey: \*+/);
    },
  );

  test(
    '4.9.7 --acl: admin works, a wrong secret and the read-only account are refused',
    { timeout: TEST_TIMEOUT },
    async () => {
      const result = await aclCluster('acl49');
      const secret = result.acl!.secretKey;
      const readOnly = result.acl!.readOnly!;
      assert.equal(readOnly.accessKey, 'rmq-readonly');
      const run = runner(result.namesrvAddr, join(root, 'no-profiles.json'));
      const admin = { RMQ_ACCESS_KEY: 'rmq-admin', RMQ_SECRET_KEY: secret };
      const reader = { RMQ_ACCESS_KEY: readOnly.accessKey, RMQ_SECRET_KEY: readOnly.secretKey };
      const topic = uniqueName('acl49');

      const list = await eventually(
        () => run(['cluster', 'list', '--json'], admin),
        (r) => r.stdout.includes('V4_9_7'),
      );
      assert.equal(list.code, 0, show(list));
      assert.match(list.stdout, /V4_9_7/, show(list));
      const created = await run(['topic', 'create', topic, '--json'], admin);
      assert.equal(created.code, 0, show(created));
      const sent = await run(['send', topic, '--body', 'hello-49'], admin);
      assert.equal(sent.code, 0, show(sent));
      const consumed = await run(
        ['consume', topic, '-g', uniqueName('g'), '--from', 'first', '--count', '1', '--output', 'body'],
        admin,
      );
      assert.equal(consumed.code, 0, show(consumed));
      assert.equal(consumed.stdout.trim(), 'hello-49');

      const badSecret = await run(['topic', 'describe', topic, '--json'], {
        RMQ_ACCESS_KEY: 'rmq-admin',
        RMQ_SECRET_KEY: 'not-the-secret',
      });
      assert.equal(badSecret.code, 5, show(badSecret));
      assert.equal(errorOf(badSecret).code, 1);
      assert.equal(
        errorOf(badSecret).message,
        "SYSTEM_ERROR (1): access denied by the broker's ACL: Check signature failed for accessKey=rmq-admin (wrong secret key)",
      );

      const anonymous = await run(['topic', 'describe', topic, '--json']);
      assert.equal(anonymous.code, 5, show(anonymous));
      assert.match(errorOf(anonymous).message, /requires ACL credentials/);

      const readerCreate = await run(['topic', 'create', uniqueName('x'), '--json'], reader);
      assert.equal(readerCreate.code, 5, show(readerCreate));
      assert.match(
        errorOf(readerCreate).message,
        /Need admin permission for request code=17, but accessKey=rmq-readonly/,
      );
      const readerSend = await run(['send', topic, '--body', 'x'], reader);
      assert.equal(readerSend.code, 5, show(readerSend));
      assert.match(readerSend.stderr, /access denied by the broker's ACL: No default permission for topic:/);
      // Read-only means it can still subscribe.
      const readerConsume = await run(
        ['consume', topic, '-g', uniqueName('g'), '--from', 'first', '--count', '1', '--output', 'body'],
        reader,
      );
      assert.equal(readerConsume.code, 0, show(readerConsume));
      assert.equal(readerConsume.stdout.trim(), 'hello-49');
    },
  );

  test(
    '5.3.3 --tls: plain is refused with a hint, --tls --tls-insecure works, an unverified certificate fails',
    { timeout: TEST_TIMEOUT },
    async () => {
      const profiles = join(root, 'profiles-tls5.json');
      const result = await up('tls5', ['--version', '5.3.3', '--tls'], profiles);
      try {
        assert.equal(result.tls, true);
        assert.equal(result.acl, undefined);
        // Without --use the profile is not made current, even with no current profile: its
        // tlsInsecure would otherwise follow every later command.
        assert.deepEqual(result.profile, { name: 'local', file: profiles, current: false });
        const run = runner(result.namesrvAddr, join(root, 'no-profiles.json'));

        const plain = await run(['cluster', 'list', '--json']);
        assert.equal(plain.code, 3, show(plain));
        assert.equal(errorOf(plain).kind, 'connection');
        assert.match(errorOf(plain).message, /closed by the server before any reply/);
        assert.match(errorOf(plain).hint ?? '', /may require TLS: try --tls/);

        const secure = ['--tls', '--tls-insecure'];
        const list = await eventually(
          () => run(['cluster', 'list', '--json', ...secure]),
          (r) => r.stdout.includes('V5_3_3'),
        );
        assert.equal(list.code, 0, show(list));
        assert.match(list.stdout, /V5_3_3/, show(list));
        const topic = uniqueName('tls');
        const sent = await run(['send', topic, '--body', 'hello-tls', ...secure]);
        assert.equal(sent.code, 0, show(sent));
        const consumed = await run([
          'consume',
          topic,
          '-g',
          uniqueName('g'),
          '--from',
          'first',
          '--count',
          '1',
          '--output',
          'body',
          ...secure,
        ]);
        assert.equal(consumed.code, 0, show(consumed));
        assert.equal(consumed.stdout.trim(), 'hello-tls');

        const verified = await run(['cluster', 'list', '--tls', '--json']);
        assert.equal(verified.code, 3, show(verified));
        assert.match(errorOf(verified).message, /TLS handshake with .* failed: self-signed certificate/);
        assert.match(errorOf(verified).hint ?? '', /--tls-ca.*--tls-insecure/);

        // The profile carries tls + tlsInsecure.
        const byProfile = await runner(
          undefined,
          profiles,
        )(['cluster', 'list', '--profile', 'local', '--json']);
        assert.equal(byProfile.code, 0, show(byProfile));

        // Our own probes speak TLS too.
        const st = await rmq(['local', 'status', '--dir', result.dir, '--json']);
        assert.equal(st.code, 0, show(st));
        assert.equal((st.json as { brokerRegistered: boolean; tls: boolean }).brokerRegistered, true);
        assert.equal((st.json as { tls: boolean }).tls, true);
      } finally {
        await down(result);
      }
    },
  );
});

aclAdminTests({ root: () => root, acl5: () => aclCluster('acl5'), acl49: () => aclCluster('acl49') });

describe('the shared ACL clusters', () => {
  test('go down and are purged', { timeout: UP_TIMEOUT_MS }, async () => {
    for (const p of shared.values()) await down(await p);
  });
});
