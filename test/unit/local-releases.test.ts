/**
 * A release line means its newest release as the Maven repository lists it, not as rmq's table
 * says; the list is outside input (budgets), and without it rmq falls back on what it knew.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  EnvironmentError,
  InvalidArgumentError,
  ProtocolError,
  TimeoutError,
} from '../../src/core/errors.js';
import { parseVersionSpec } from '../../src/local/config.js';
import { fetchReleases, lineReleases, parseMetadataVersions } from '../../src/local/releases.js';
import { checkLineExists, LINE_RECHECK_MS, resolveRuntime } from '../../src/local/resolve.js';

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'rmq-unit-releases-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

const metadata = (versions: string[]): string =>
  `<?xml version="1.0"?><metadata><versioning><versions>${versions
    .map((v) => `<version>${v}</version>`)
    .join('')}</versions></versioning></metadata>`;

describe('maven-metadata.xml', () => {
  test('lists release numbers only, and a line newest first by number, not by text', () => {
    const all = parseMetadataVersions(
      metadata(['4.0.0-incubating', '5.5.0', '5.5.10', '5.5.9', '5.5.1-SNAPSHOT', '5.4.0', '<x>']),
    );
    assert.deepEqual(all, ['5.5.0', '5.5.10', '5.5.9', '5.4.0']);
    assert.deepEqual(lineReleases(all, '5.5'), ['5.5.10', '5.5.9', '5.5.0']);
    assert.deepEqual(lineReleases(all, '5.55'), []);
  });

  test('refuses what is not metadata, and a list with an absurd number of versions', () => {
    assert.throws(() => parseMetadataVersions('<html>proxy login</html>'), ProtocolError);
    const many = Array.from({ length: 2001 }, (_, i) => `5.${Math.floor(i / 100)}.${i % 100}`);
    assert.throws(() => parseMetadataVersions(metadata(many)), /more than 2000 versions/);
  });

  test('a line rmq has no table row for is still a line', () => {
    const s = parseVersionSpec('5.9');
    assert.deepEqual(s.candidates, []);
    assert.equal(s.representative, '5.9.0');
    assert.equal(s.exact, false);
  });
});

describe('fetchReleases against a local HTTP server', () => {
  let server: Server;
  let base: string;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url?.startsWith('/ok/')) res.end(metadata(['5.5.0', '5.5.1']));
      else if (req.url?.startsWith('/huge/')) {
        // No content-length: the budget must hold while streaming.
        res.write('<metadata>');
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        for (let i = 0; i < 8; i++) res.write(chunk);
        res.end('</metadata>');
      } else if (req.url?.startsWith('/hang/')) {
        res.writeHead(200);
        res.write('<metadata>'); // and never more
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('reads the list', async () => {
    assert.deepEqual(await fetchReleases({ repo: `${base}/ok/` }), ['5.5.0', '5.5.1']);
  });

  test('a body over the byte budget is refused while it streams', async () => {
    await assert.rejects(fetchReleases({ repo: `${base}/huge`, maxBytes: 100_000 }), ProtocolError);
  });

  test('a server that stops sending hits the time budget', async () => {
    await assert.rejects(fetchReleases({ repo: `${base}/hang`, timeoutMs: 300 }), TimeoutError);
  });

  test('an HTTP error is an environment error naming the address', async () => {
    await assert.rejects(fetchReleases({ repo: `${base}/none` }), (e: Error) => {
      assert.ok(e instanceof EnvironmentError);
      assert.match(e.message, /HTTP 404/);
      return true;
    });
  });
});

/** A cached, complete copy of `version` as resolve.ts leaves one. */
function cacheCopy(cacheRoot: string, version: string): void {
  mkdirSync(join(cacheRoot, version, 'lib'), { recursive: true });
  writeFileSync(join(cacheRoot, version, 'lib', 'rocketmq-broker.jar'), 'jar');
  writeFileSync(
    join(cacheRoot, version, 'complete.json'),
    JSON.stringify({ version, jars: 1, bytes: 3, resolvedAt: new Date().toISOString() }),
  );
}

/** An mvn that records which release it was asked for and says Central does not have it. */
function missingMaven(name: string): { env: Record<string, string>; asked: () => string[] } {
  const dir = join(root, name);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(
    join(dir, 'bin', 'mvn'),
    `#!/bin/sh
v=$(basename "$PWD")
echo "$v" >> "${dir}/asked"
echo "[ERROR] Failed to execute goal on project x: Could not find artifact org.apache.rocketmq:rocketmq-broker:jar:$v in central"
exit 1
`,
  );
  chmodSync(join(dir, 'bin', 'mvn'), 0o755);
  const env = { ...process.env, PATH: `${join(dir, 'bin')}${delimiter}${process.env.PATH ?? ''}` } as Record<
    string,
    string
  >;
  const asked = (): string[] => {
    try {
      return readFileSync(join(dir, 'asked'), 'utf8').trim().split('\n');
    } catch {
      return [];
    }
  };
  return { env, asked };
}

describe('resolveRuntime for a release line', () => {
  test('tries the newest release the repository lists, even one rmq never heard of', async () => {
    const cacheRoot = join(root, 'cache-newest');
    cacheCopy(cacheRoot, '5.5.1');
    // What an older rmq remembered: the line settled on 5.5.1, with no date.
    writeFileSync(join(cacheRoot, 'resolved.json'), JSON.stringify({ '5.5': '5.5.1' }));
    const mvn = missingMaven('newest');
    const notes: string[] = [];
    const runtime = await resolveRuntime({
      spec: '5.5',
      cacheRoot,
      env: mvn.env,
      onProgress: (m) => notes.push(m),
      listReleases: () => Promise.resolve(['5.5.0', '5.5.1', '5.5.2']),
    });
    assert.deepEqual(mvn.asked(), ['5.5.2'], 'the unknown newer release is tried first');
    assert.equal(runtime.version, '5.5.1', 'and skipped because Central lacks its jars');
    assert.ok(notes.some((n) => n.includes('lists 5.5.2, 5.5.1, 5.5.0')));
    assert.equal(runtime.release?.source, 'repository');
    assert.deepEqual(runtime.release.listed, ['5.5.2', '5.5.1', '5.5.0']);
    assert.deepEqual(
      runtime.release.skipped.map((s) => s.version),
      ['5.5.2'],
    );
    assert.match(runtime.release.skipped[0]!.reason, /rocketmq-broker:jar:5\.5\.2 is not on Maven Central/);
    const alias = JSON.parse(readFileSync(join(cacheRoot, 'resolved.json'), 'utf8'))['5.5'];
    assert.equal(alias.version, '5.5.1');
    assert.ok(Date.now() - Date.parse(alias.checkedAt) < 60_000);
  });

  test('a pick checked within a day is used without asking the repository', async () => {
    const cacheRoot = join(root, 'cache-fresh');
    cacheCopy(cacheRoot, '5.5.1');
    writeFileSync(
      join(cacheRoot, 'resolved.json'),
      JSON.stringify({ '5.5': { version: '5.5.1', checkedAt: new Date().toISOString() } }),
    );
    let listed = 0;
    const runtime = await resolveRuntime({
      spec: '5.5',
      cacheRoot,
      env: missingMaven('fresh').env,
      listReleases: () => {
        listed++;
        return Promise.resolve(['5.5.9']);
      },
    });
    assert.equal(runtime.version, '5.5.1');
    assert.equal(listed, 0);
    // A day later the list is read again.
    writeFileSync(
      join(cacheRoot, 'resolved.json'),
      JSON.stringify({
        '5.5': { version: '5.5.1', checkedAt: new Date(Date.now() - LINE_RECHECK_MS - 1000).toISOString() },
      }),
    );
    await resolveRuntime({
      spec: '5.5',
      cacheRoot,
      env: missingMaven('stale').env,
      listReleases: () => {
        listed++;
        return Promise.resolve(['5.5.1']);
      },
    });
    assert.equal(listed, 1);
  });

  test('offline, the line falls back on its remembered pick and says why', async () => {
    const cacheRoot = join(root, 'cache-offline');
    cacheCopy(cacheRoot, '5.5.0');
    writeFileSync(join(cacheRoot, 'resolved.json'), JSON.stringify({ '5.5': '5.5.0' }));
    const mvn = missingMaven('offline');
    const notes: string[] = [];
    const runtime = await resolveRuntime({
      spec: '5.5',
      cacheRoot,
      env: mvn.env,
      onProgress: (m) => notes.push(m),
      listReleases: () => Promise.reject(new EnvironmentError('getaddrinfo ENOTFOUND')),
    });
    assert.equal(runtime.version, '5.5.0');
    assert.equal(runtime.release?.source, 'remembered');
    assert.deepEqual(mvn.asked(), []);
    assert.ok(notes.some((n) => n.includes('could not read the list of RocketMQ releases')));
  });

  test('a line the repository lists no release of fails with one line', async () => {
    await assert.rejects(
      resolveRuntime({
        spec: '5.9',
        cacheRoot: join(root, 'cache-none'),
        env: missingMaven('none').env,
        listReleases: () => Promise.resolve(['5.5.1']),
      }),
      (e: Error) => {
        assert.ok(e instanceof EnvironmentError);
        assert.match(e.message, /RocketMQ 5\.9 has no releases/);
        return true;
      },
    );
  });
});

describe('checkLineExists, before anything else of `local up`', () => {
  test('a line the repository lacks is bad input, naming the lines it has', async () => {
    await assert.rejects(
      checkLineExists('9.9', { listReleases: () => Promise.resolve(['4.9.7', '5.5.0']) }),
      (e: Error) => {
        assert.ok(e instanceof InvalidArgumentError);
        assert.match(e.message, /Maven Central has no 9\.9\.x release/);
        assert.match((e as InvalidArgumentError).hint ?? '', /4\.9, 5\.5/);
        return true;
      },
    );
  });

  test('a new line the repository lists passes; known lines and exact releases are not looked up', async () => {
    let asked = 0;
    const list = () => {
      asked++;
      return Promise.resolve(['5.9.0']);
    };
    await checkLineExists('5.9', { listReleases: list });
    await checkLineExists('5.3', { listReleases: list });
    await checkLineExists('5.3.3', { listReleases: list });
    assert.equal(asked, 1);
  });

  test('offline, an unknown line cannot be told from a typo: an environment error', async () => {
    await assert.rejects(
      checkLineExists('9.9', { listReleases: () => Promise.reject(new Error('getaddrinfo ENOTFOUND')) }),
      EnvironmentError,
    );
  });
});
