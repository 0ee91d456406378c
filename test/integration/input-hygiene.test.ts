/**
 * Hardening of what users and servers hand the CLI (issue #9), end to end against the suite's
 * broker: durations a timer cannot hold, property separators, Object built-in names, control
 * characters on a terminal, and profile settings that belong to one cluster only.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import type { MessagePrintResult } from '../../src/services/message.js';
import type { SendSummary } from '../../src/services/send/index.js';
import { BIN_PATH, type CliResult, REPO_ROOT, rmq, TEST_NAMESRV, uniqueName } from '../helpers/cli.js';
import { FakeBroker } from '../helpers/fake-broker.js';

const USAGE = 2;
const NOT_FOUND = 6;

/** This file's own profiles file and topic (one queue, so a print by offset finds a send). */
let dir = '';
let profiles = '';
let topic = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rmq-it-hygiene-'));
  profiles = join(dir, 'profiles.json');
  topic = uniqueName('it_hygiene');
  const c = await rmq(['topic', 'create', topic, '--queues', '1', '--json']);
  assert.equal(c.code, 0, c.stderr);
});

after(async () => {
  await rmq(['topic', 'delete', topic, '--yes']);
  rmSync(dir, { recursive: true, force: true });
});

/** Sends one message to this file's topic; returns its result. */
async function sendOne(args: string[]): Promise<SendSummary['results'][number]> {
  const r = await rmq(['send', topic, ...args, '--json']);
  assert.equal(r.code, 0, show(r));
  const sent = r.json as SendSummary;
  assert.equal(sent.sent, 1, show(r));
  return sent.results[0]!;
}

/** `message print` of the one message at `offset` of queue 0, with extra args. */
function printAt(offset: number, args: string[], env: Record<string, string | undefined> = {}) {
  return rmq(['message', 'print', '-t', topic, '-q', '0', '--offset', String(offset), ...args], { env });
}

const show = (r: CliResult): string => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

/** The one "Error:" line of a failed run, which must carry no stack trace. */
function errorLine(r: CliResult): string {
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('Error:'));
  assert.equal(lines.length, 1, show(r));
  assert.doesNotMatch(r.stderr, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
  return lines[0]!;
}

describe('input hygiene', { concurrency: 4 }, () => {
  test('a duration above 2^31 − 1 ms is a usage error, not a request that times out at once', async () => {
    for (const args of [
      ['topic', 'list', '--timeout', '25d'],
      ['consume', 't', '-g', 'g', '--idle-timeout', '2147483648'],
    ]) {
      const r = await rmq(args);
      assert.equal(r.code, USAGE, show(r));
      assert.match(errorLine(r), /is above the maximum of 24\.8 days/);
      assert.doesNotMatch(r.stderr, /TimeoutOverflowWarning/);
    }
    const ok = await rmq(['topic', 'list', '--timeout', '24d', '--names-only']);
    assert.equal(ok.code, 0, show(ok));
  });

  test('--profile constructor does not exist; a profile named __proto__ is saved and used', async () => {
    const env = { RMQ_PROFILES_FILE: profiles };
    for (const name of ['constructor', 'toString', '__proto__']) {
      const r = await rmq(['topic', 'list', '--names-only', '--profile', name], { env });
      assert.equal(r.code, NOT_FOUND, show(r));
      assert.match(errorLine(r), new RegExp(`profile "${name}" does not exist`));
    }
    const created = await rmq(['profile', 'create', '__proto__', '--namesrv', '127.0.0.9:9876'], { env });
    assert.equal(created.code, 0, show(created));
    const shown = await rmq(['profile', 'show', '__proto__', '--json'], { env });
    assert.equal(shown.code, 0, show(shown));
    assert.equal((shown.json as { profile: { namesrv?: string } }).profile.namesrv, '127.0.0.9:9876');
    const listed = await rmq(['profile', 'list', '--json'], { env });
    assert.deepEqual(
      (listed.json as { profiles: { name: string }[] }).profiles.map((p) => p.name),
      ['__proto__'],
    );
  });

  test('--property __proto__=x is sent; {prop.constructor} prints a property, never a function', async () => {
    const s = await sendOne([
      '--body',
      'builtins',
      '--property',
      '__proto__=x',
      '--property',
      'constructor=y',
    ]);
    const printed = await printAt(s.queueOffset!, ['--json']);
    assert.equal(printed.code, 0, show(printed));
    const m = (printed.json as MessagePrintResult).messages[0]!;
    assert.equal(m.body, 'builtins');
    assert.deepEqual(Object.entries(m.properties).sort(), [
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]);
    const tpl = await printAt(s.queueOffset!, [
      '--output',
      'template',
      '--template',
      '{prop.__proto__}|{prop.constructor}|{prop.toString}|{prop.hasOwnProperty}',
    ]);
    assert.equal(tpl.code, 0, show(tpl));
    assert.equal(tpl.stdout, 'x|y||\n');
  });

  test('U+0001/U+0002 in a key, tag, message group or NDJSON field is bad input (exit 2), nothing is stored', async () => {
    const inject = 'x\u0002DELAY\u00013';
    const runs: { r: CliResult; field: RegExp }[] = [
      { r: await rmq(['send', topic, '--body', 'sep-key', '--key', inject]), field: /message key "x\\u0002/ },
      { r: await rmq(['send', topic, '--body', 'sep-tag', '--tag', inject]), field: /tag "x\\u0002/ },
      {
        r: await rmq(['send', topic, '--body', 'sep-group', '--message-group', inject]),
        field: /message group "x\\u0002/,
      },
      {
        r: await rmq(['send', topic, '--body', 'sep-prop', '--property', `p=${inject}`]),
        field: /--property p "x\\u0002/,
      },
    ];
    for (const { r, field } of runs) {
      assert.equal(r.code, USAGE, show(r));
      assert.match(errorLine(r), field);
      assert.match(errorLine(r), /contains \\u0001 or \\u0002/);
    }
    const nd = await rmq(['send', topic, '--input', 'ndjson'], {
      input: `${JSON.stringify({ body: 'sep-ndjson', tags: inject })}\n${JSON.stringify({ body: 'sep-ndjson-key', keys: [inject] })}\n`,
    });
    assert.equal(nd.code, USAGE, show(nd));
    assert.match(nd.stdout, /FAILED .*invalid-argument: tag "x\\u0002DELAY\\u00013" contains/);
    assert.match(nd.stdout, /FAILED .*invalid-argument: message key "x\\u0002DELAY\\u00013" contains/);
    assert.match(nd.stderr, /sent 0, failed 2/);
    const stored = await printAt(0, ['--count', '64', '--json']);
    if (stored.code === 0) {
      const bodies = (stored.json as MessagePrintResult).messages.map((m) => m.body ?? '');
      assert.deepEqual(
        bodies.filter((b) => b.startsWith('sep-')),
        [],
      );
    } else assert.equal(stored.code, NOT_FOUND, show(stored));
  });
});

/**
 * Runs the CLI with stdout and stderr on a terminal: script(1) gives it a pseudo-terminal, as a
 * user's shell would. Returns what the terminal showed, or undefined when there is no script.
 */
function rmqOnTerminal(args: string[]): { code: number; shown: string } | undefined {
  const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
  const command = [process.execPath, BIN_PATH, ...args].map(quote).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      NO_COLOR: '1',
      NAMESRV_ADDR: TEST_NAMESRV,
      RMQ_NAMESRV: undefined,
      FORCE_COLOR: undefined,
    },
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.error) return undefined;
  return { code: r.status ?? -1, shown: r.stdout.toString('utf8') };
}

describe('control characters from the wire reach a terminal escaped, a pipe byte-exact', () => {
  const ESC = '\u001b';
  const body = `red${ESC}[31m!${ESC}[0m bell\u0007 title${ESC}]0;pwned\u0007 csi\u009b2J\nline2`;
  const tag = `t${ESC}[2J`;

  test('message print and consume: text, template, detail and body', async (t) => {
    const s = await sendOne(['--body', body, '--tag', tag, '--key', 'k1', '--property', `p=v${ESC}[1m`]);
    const offset = String(s.queueOffset);
    const print = (output: string, extra: string[] = []) => [
      ...['message', 'print', '-t', topic, '-q', '0', '--offset', offset, '--output', output],
      ...extra,
    ];
    // A pipe gets the bytes as stored.
    const piped = await rmq(print('body'));
    assert.equal(piped.code, 0, show(piped));
    assert.equal(piped.stdout, `${body}\n`);
    const pipedText = await rmq(print('text'));
    assert.ok(pipedText.stdout.includes(`tags=${tag}`), show(pipedText));

    if (!rmqOnTerminal(['--version'])) {
      t.skip('script(1) is not installed');
      return;
    }
    const tpl = ['--template', '{tags}|{prop.p}|{body}'];
    for (const [output, extra] of [
      ['text', []],
      ['template', tpl],
      ['detail', []],
      ['body', []],
    ] as const) {
      const r = rmqOnTerminal(print(output, [...extra]))!;
      assert.equal(r.code, 0, r.shown);
      assert.ok(!r.shown.includes(ESC), `${output}: raw ESC on the terminal: ${JSON.stringify(r.shown)}`);
      assert.ok(!r.shown.includes('\u009b'), `${output}: raw CSI on the terminal`);
      assert.match(r.shown, /red\\x1b\[31m!\\x1b\[0m bell\\x07 title\\x1b\]0;pwned\\x07 csi\\x9b2J/, output);
    }
    // A consumer on a terminal too.
    const consumed = rmqOnTerminal([
      ...['consume', topic, '-g', uniqueName('g_tty'), '--from', 'first', '--until-end'],
      ...['--output', 'template', '--template', '{msgId} {tags}'],
    ])!;
    assert.equal(consumed.code, 0, consumed.shown);
    assert.match(consumed.shown, new RegExp(`${s.msgId} t\\\\x1b\\[2J`));
    assert.ok(!consumed.shown.includes(ESC), JSON.stringify(consumed.shown));
  });

  test('an error message on a terminal is escaped', async (t) => {
    const r = rmqOnTerminal(['consume', topic, '-g', 'g', '--from', `x${ESC}[2Jy`]);
    if (!r) {
      t.skip('script(1) is not installed');
      return;
    }
    assert.equal(r.code, USAGE, r.shown);
    assert.match(r.shown, /Error: invalid --from "x\\x1b\[2Jy"/);
    assert.ok(!r.shown.includes(ESC), JSON.stringify(r.shown));
  });
});

describe("a profile's credentials and TLS settings stay with its own name servers", () => {
  /** A profiles file holding `profiles`, `current` the current one; returns its path. */
  function profilesFile(name: string, file: { current?: string; profiles: Record<string, object> }): string {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify(file), { mode: 0o600 });
    return path;
  }

  test('credentials of the current or a named profile are not sent to a name server given by NAMESRV_ADDR or -n', async () => {
    const server = await FakeBroker.start();
    try {
      const local = { namesrv: '127.0.0.1:19876', accessKey: 'local-ak', secretKey: 'local-sk' };
      const path = profilesFile('creds', {
        current: 'local',
        profiles: { local, here: { ...local, namesrv: server.address } },
      });
      const env = { RMQ_PROFILES_FILE: path, NAMESRV_ADDR: server.address };
      const signed = () => server.requests.filter((r) => r.extFields.AccessKey !== undefined).length;
      const asked = () => server.requests.length;

      let before = asked();
      const viaEnv = await rmq(['topic', 'list', '--timeout', '3s'], { env });
      assert.ok(asked() > before, `the fake name server was asked: ${show(viaEnv)}`);
      assert.equal(signed(), 0, 'the current profile signed a request to another name server');
      assert.doesNotMatch(viaEnv.stderr, /profile/, 'no warning for a profile nobody named');

      before = asked();
      const viaFlag = await rmq(['topic', 'list', '--timeout', '3s', '-n', server.address], {
        env: { RMQ_PROFILES_FILE: path, NAMESRV_ADDR: undefined },
      });
      assert.ok(asked() > before, show(viaFlag));
      assert.equal(signed(), 0, 'the current profile signed a request to the -n name server');

      const named = await rmq(['topic', 'list', '--timeout', '3s', '--profile', 'local'], { env });
      assert.equal(signed(), 0, 'the named profile signed a request to another name server');
      assert.match(
        named.stderr,
        new RegExp(
          `! profile local is for 127\\.0\\.0\\.1:19876, but NAMESRV_ADDR says ${server.address.replace(/\./g, '\\.')}: its credentials and TLS settings are not used`,
        ),
      );
      // The profile made for this name server does sign.
      const own = await rmq(['topic', 'list', '--timeout', '3s', '--profile', 'here'], { env });
      assert.ok(signed() > 0, `the profile of this name server signs: ${show(own)}`);
      assert.doesNotMatch(own.stderr, /are not used/);
    } finally {
      await server.close();
    }
  });

  test("--tls-ca always verifies: neither a current profile's nor a named one's tlsInsecure skips it", async (t) => {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
    } catch {
      t.skip('openssl is not installed');
      return;
    }
    const cert = (name: string) => {
      execFileSync(
        'openssl',
        [
          ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`],
          ...['-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, `${name}.key`)],
          ...['-out', join(dir, `${name}.pem`)],
        ],
        { stdio: 'ignore' },
      );
      return join(dir, `${name}.pem`);
    };
    const serverCert = cert('rmq-test-server');
    const otherCa = cert('rmq-test-other');
    // A TLS server that counts completed handshakes: one only completes when the client accepted
    // the certificate (or did not check it).
    let handshakes = 0;
    const server = tls.createServer(
      { key: readFileSync(join(dir, 'rmq-test-server.key')), cert: readFileSync(serverCert) },
      (socket) => {
        handshakes++;
        socket.destroy();
      },
    );
    server.on('tlsClientError', () => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const insecure = { tls: true, tlsInsecure: true };
      const path = profilesFile('tls', {
        current: 'local',
        profiles: {
          local: { namesrv: '127.0.0.1:19876', ...insecure },
          mine: { namesrv: address, ...insecure },
        },
      });
      const env = { RMQ_PROFILES_FILE: path, NAMESRV_ADDR: address };
      const refused = async (args: string[]) => {
        const before = handshakes;
        const r = await rmq([...args, '--timeout', '3s', '--json'], { env });
        assert.equal(r.code, 3, show(r));
        assert.match(
          (r.json as { error: { message: string } }).error.message,
          /TLS handshake .* failed: self-signed certificate/,
        );
        assert.equal(handshakes, before, `a handshake completed without verification: ${args.join(' ')}`);
      };
      // The current profile (local up --tls's) is for another name server: no tlsInsecure here.
      await refused(['topic', 'list', '--tls']);
      await refused(['topic', 'list', '--tls', '--tls-ca', otherCa]);
      // Even the profile of this very server: its tlsInsecure yields to an explicit CA.
      await refused(['topic', 'list', '--profile', 'mine', '--tls-ca', otherCa]);
      // The right CA verifies (the server then hangs up, which is a connection error).
      const before = handshakes;
      const trusted = await rmq(
        ['topic', 'list', '--tls', '--tls-ca', serverCert, '--timeout', '3s', '--json'],
        { env },
      );
      assert.equal(handshakes, before + 1, show(trusted));
      // Both at once contradict each other.
      const both = await rmq(['topic', 'list', '--tls-ca', serverCert, '--tls-insecure'], { env });
      assert.equal(both.code, USAGE, show(both));
      assert.match(errorLine(both), /--tls-ca and --tls-insecure contradict each other/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  test('local up --use is refused with --no-save-profile', async () => {
    const r = await rmq(['local', 'up', '--use', '--no-save-profile', '--dir', join(dir, 'never')]);
    assert.equal(r.code, USAGE, show(r));
    assert.match(errorLine(r), /--use needs the profile that --no-save-profile skips/);
  });
});
