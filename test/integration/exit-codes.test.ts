/**
 * One test per documented exit code, each provoked for real (src/exit-codes.ts, README).
 * FAILURE (1) is reserved for bugs: nothing provokes it on purpose; its mapping is pinned in
 * test/unit/exit-codes.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ExitCode } from '../../src/exit-codes.js';
import { rmq, rmqBackground, uniqueName } from '../helpers/cli.js';
import { freeClusterPorts } from '../helpers/ports.js';

/** A local TCP server that does `onConnect` with each socket; closed after the test. */
async function server(onConnect: (s: net.Socket) => void): Promise<{ address: string; close: () => void }> {
  const sockets: net.Socket[] = [];
  const srv = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    onConnect(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      srv.close();
    },
  };
}

const topics: string[] = [];
after(async () => {
  await Promise.all(topics.map((t) => rmq(['topic', 'delete', t, '--yes'])));
});

describe('exit codes', { concurrency: true }, () => {
  test('0 OK', async () => {
    assert.equal((await rmq(['cluster', 'list'])).code, ExitCode.OK);
  });

  test('2 USAGE: an unknown flag', async () => {
    assert.equal((await rmq(['cluster', 'list', '--nope'])).code, ExitCode.USAGE);
  });

  test('3 CONNECTION: nothing listens at the name server address', async () => {
    const r = await rmq(['cluster', 'list', '-n', '127.0.0.1:1']);
    assert.equal(r.code, ExitCode.CONNECTION, r.stderr);
  });

  test('4 TIMEOUT: the name server accepts and never answers', async () => {
    const hung = await server(() => {});
    try {
      const r = await rmq(['cluster', 'list', '-n', hung.address, '--timeout', '1s']);
      assert.equal(r.code, ExitCode.TIMEOUT, r.stderr);
    } finally {
      hung.close();
    }
  });

  test('5 BROKER: the broker refuses a message with 40 KB of properties (code 13)', async () => {
    const t = uniqueName('it_exit5');
    topics.push(t);
    await rmq(['topic', 'create', t, '--queues', '1']);
    const r = await rmq([
      'send',
      t,
      '--body',
      'x',
      '--property',
      `big=${'x'.repeat(40_000)}`,
      '--retries',
      '0',
    ]);
    assert.equal(r.code, ExitCode.BROKER, r.stderr);
    assert.match(r.stderr, /MESSAGE_ILLEGAL \(13\)/);
  });

  test('6 NOT_FOUND: describing a topic that does not exist', async () => {
    assert.equal((await rmq(['topic', 'describe', uniqueName('nope')])).code, ExitCode.NOT_FOUND);
  });

  test('7 PROTOCOL: the "name server" answers garbage', async () => {
    const garbage = await server((s) =>
      s.once('data', () => s.write(Buffer.from([0, 0, 0, 8, 9, 0, 0, 0, 1, 2, 3, 4]))),
    );
    try {
      const r = await rmq(['cluster', 'list', '-n', garbage.address, '--timeout', '3s', '--json']);
      assert.equal(r.code, ExitCode.PROTOCOL, r.stdout + r.stderr);
      assert.equal((r.json as { error: { kind: string } }).error.kind, 'protocol');
    } finally {
      garbage.close();
    }
  });

  test('8 ENVIRONMENT: rmq local up on a port that is taken', async () => {
    // The taken port is this test's own server; the broker's ports are free, so the refusal can
    // only be about the one the test took.
    const busy = await server(() => {});
    const { brokerPort } = await freeClusterPorts();
    const dir = mkdtempSync(join(tmpdir(), 'rmq-exit8-'));
    try {
      const port = busy.address.split(':')[1]!;
      const r = await rmq(
        ['local', 'up', '--dir', dir, '--namesrv-port', port, '--broker-port', String(brokerPort), '--json'],
        {
          timeoutMs: 120_000,
        },
      );
      assert.equal(r.code, ExitCode.ENVIRONMENT, r.stdout + r.stderr);
      assert.match((r.json as { error: { message: string } }).error.message, new RegExp(port));
    } finally {
      busy.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('9 CHECK_FAILED: waiting for a message that went to the DLQ', { timeout: 90_000 }, async () => {
    const t = uniqueName('it_exit9');
    topics.push(t);
    const g = uniqueName('g');
    await rmq(['topic', 'create', t, '--queues', '1']);
    const sent = await rmq(['send', t, '--body', 'poison', '--json']);
    const id = (sent.json as { results: { msgId: string }[] }).results[0]!.msgId;
    // --max-reconsume 0: the first nack sends it straight to %DLQ%<group>.
    const c = await rmq([
      'consume',
      t,
      '-g',
      g,
      '--from',
      'first',
      '--nack',
      'all',
      '--max-reconsume',
      '0',
      '--count',
      '1',
    ]);
    assert.equal(c.code, 0, c.stderr);
    const r = await rmq(['trace', id, '-t', t, '--wait-consumed', '-g', g, '--timeout', '20s'], {
      timeoutMs: 60_000,
    });
    assert.equal(r.code, ExitCode.CHECK_FAILED, r.stdout + r.stderr);
  });

  test('99 SLO_FAILED: an SLO no broker can meet', { timeout: 90_000 }, async () => {
    const r = await rmq(['bench', '--duration', '2s', '--slo', 'p99(send)<1us'], { timeoutMs: 80_000 });
    assert.equal(r.code, ExitCode.SLO_FAILED, r.stderr);
    assert.match(r.stdout, /✗/);
  });

  test('130 INTERRUPTED: Ctrl-C while send reads standard input', async () => {
    const t = uniqueName('it_exit130');
    topics.push(t);
    await rmq(['topic', 'create', t, '--queues', '1']);
    const bg = rmqBackground(['send', t, '--output', 'ndjson'], { keepStdinOpen: true });
    bg.write('first\n');
    // Once the first result is out, send is running and waiting for more input.
    const deadline = Date.now() + 30_000;
    while (!bg.stdout().includes('SEND_OK') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    bg.kill('SIGINT');
    const r = await bg.done;
    assert.equal(r.code, ExitCode.INTERRUPTED, r.stderr);
  });
});
