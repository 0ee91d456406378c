/**
 * Metadata as code against the real broker: export, diff, apply (dry run, for real, a second time,
 * with --prune) and refused documents. The suite's broker is shared with other test files running
 * meanwhile, so everything here is scoped by a prefix of this run's own (export --prefix writes it
 * into the document; diff and apply, --prune included, look at nothing else).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import type { ApplyResult } from '../../src/commands/apply.js';
import type { DiffResult } from '../../src/commands/diff.js';
import type { ExportResult } from '../../src/commands/export.js';
import type { MetadataDocument } from '../../src/services/metadata/document.js';
import { rmq, uniqueName } from '../helpers/cli.js';
import { assertSchema } from '../helpers/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'rmq-metadata-'));
const p = `${uniqueName('meta')}_`;
const t1 = `${p}t1`;
const t2 = `${p}t2`;
const g1 = `${p}g1`;
const g2 = `${p}g2`;
/** Outside the prefix: --prune must never touch it. */
const outsider = uniqueName('metaout');

async function ok(args: string[]): Promise<void> {
  const r = await rmq(args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
}

const file = (name: string, doc: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, typeof doc === 'string' ? doc : stringify(doc));
  return path;
};

async function diff(path: string): Promise<{ code: number; result: DiffResult }> {
  const r = await rmq(['diff', '-f', path, '--json']);
  assert.ok(r.json, `diff --json: ${r.stdout}${r.stderr}`);
  return { code: r.code, result: r.json as DiffResult };
}

/** The plan's items without the brokers (the suite's cluster may have several). */
const items = (r: DiffResult | ApplyResult) =>
  r.plan.items.map((i) => ({
    kind: i.kind,
    name: i.name,
    action: i.action,
    changes: i.changes.map((c) => ({ field: c.field, old: c.old, new: c.new })),
  }));

describe('metadata as code', () => {
  let exported: MetadataDocument;
  let exportedPath: string;

  before(async () => {
    await ok(['topic', 'create', t1, '--queues', '4']);
    await ok(['topic', 'create', t2, '--queues', '2']);
    await ok(['topic', 'create', outsider, '--queues', '1']);
    await ok(['group', 'create', g1, '--retry-max-times', '3']);
    await ok(['group', 'create', g2]);
  });

  after(async () => {
    for (const t of [t1, t2, outsider]) await rmq(['topic', 'delete', t, '--yes']);
    for (const g of [g1, g2]) await rmq(['group', 'delete', g, '--yes']);
    rmSync(dir, { recursive: true, force: true });
  });

  test('export writes the prefix scope, the topics and groups with their fields', async () => {
    exportedPath = join(dir, 'cluster.yaml');
    const r = await rmq(['export', '--prefix', p, '-o', exportedPath]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /wrote 2 topics and 2 groups to /);
    exported = parse(readFileSync(exportedPath, 'utf8')) as MetadataDocument;
    assert.deepEqual(exported.scope, { prefix: p });
    assert.deepEqual(Object.keys(exported.topics ?? {}), [t1, t2]);
    assert.deepEqual(Object.keys(exported.groups ?? {}), [g1, g2]);
    assert.equal(exported.topics![t1]!.readQueues, 4);
    assert.equal(exported.topics![t1]!.perm, 'rw');
    assert.equal(exported.groups![g1]!.retryMaxTimes, 3);
    assert.equal(exported.groups![g1]!.consumeEnable, true);

    const json = await rmq([
      'export',
      '--prefix',
      p,
      '--format',
      'json',
      '--include',
      'topics,acl',
      '--json',
    ]);
    assert.equal(json.code, 0, json.stderr);
    assertSchema('export', json.json);
    const res = json.json as ExportResult;
    assert.deepEqual(Object.keys(res.document.topics ?? {}), [t1, t2]);
    assert.equal(res.document.groups, undefined);
    // The suite's broker runs without authentication: it has no ACL store to export.
    assert.equal(res.skipped.length, 1);
    assert.equal(res.skipped[0]!.include, 'acl');
    assert.match(res.skipped[0]!.reason, /has no ACL 2\.0 store \(authentication is off\)/);
    assert.equal(res.document.acl, undefined);
    assertSchema('metadata-document', res.document);
  });

  test('the exported file diffs clean: exit 0', async () => {
    const r = await rmq(['diff', '-f', exportedPath]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /No drift/);
  });

  test('a changed queue count and retryMaxTimes: diff exits 9 with exactly those fields', async () => {
    const changed = structuredClone(exported);
    changed.topics![t1]!.readQueues = 6;
    changed.topics![t1]!.writeQueues = 6;
    changed.groups![g1]!.retryMaxTimes = 7;
    const path = file('changed.yaml', changed);
    const { code, result } = await diff(path);
    assert.equal(code, 9);
    assertSchema('diff', result);
    assert.equal(result.drift, true);
    assert.deepEqual(items(result), [
      {
        kind: 'topic',
        name: t1,
        action: 'update',
        changes: [
          { field: 'readQueues', old: 4, new: 6 },
          { field: 'writeQueues', old: 4, new: 6 },
        ],
      },
      { kind: 'group', name: g1, action: 'update', changes: [{ field: 'retryMaxTimes', old: 3, new: 7 }] },
    ]);
    const human = await rmq(['diff', '-f', path]);
    assert.equal(human.code, 9);
    assert.match(human.stdout, /readQueues: 4 → 6/);
    assert.match(human.stdout, /retryMaxTimes: 3 → 7/);

    // --dry-run prints the plan and changes nothing.
    const dry = await rmq(['apply', '-f', path, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /retryMaxTimes: 3 → 7/);
    assert.equal((await diff(path)).code, 9);
    // Without --yes and no terminal: refused, nothing changed.
    const refused = await rmq(['apply', '-f', path]);
    assert.equal(refused.code, 2);
    assert.equal((await diff(path)).code, 9);

    const applied = await rmq(['apply', '-f', path, '--yes', '--json']);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assertSchema('apply', applied.json);
    const a = applied.json as ApplyResult;
    assert.equal(a.applied, true);
    assert.deepEqual(a.errors, []);
    assert.equal(a.after?.drift, 0);
    assert.equal((await diff(path)).code, 0);

    const again = await rmq(['apply', '-f', path, '--yes']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Nothing to apply: no changes/);
    const againJson = await rmq(['apply', '-f', path, '--yes', '--json']);
    assert.equal((againJson.json as ApplyResult).noop, true);
    exported = changed;
  });

  test('--prune deletes only what is in scope and not in the document', async () => {
    const pruned = structuredClone(exported);
    delete pruned.topics![t2];
    delete pruned.groups![g2];
    const path = file('pruned.yaml', pruned);
    const without = await diff(path);
    assert.equal(without.code, 9);
    assert.deepEqual(
      items(without.result).map((i) => `${i.action} ${i.kind} ${i.name}`),
      [`extra topic ${t2}`, `extra group ${g2}`],
    );
    const r = await rmq(['apply', '-f', path, '--prune', '--yes', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(
      items(r.json as ApplyResult).map((i) => `${i.action} ${i.kind} ${i.name}`),
      [`delete topic ${t2}`, `delete group ${g2}`],
    );
    assert.equal((await diff(path)).code, 0);
    const topics = await rmq(['topic', 'list', '--json']);
    const names = (topics.json as { topics: { name: string }[] }).topics.map((t) => t.name);
    assert.ok(names.includes(outsider), 'the topic outside the prefix is still there');
    assert.ok(names.includes(t1));
    assert.ok(!names.includes(t2));
    exported = pruned;
  });

  test('bad documents: exit 2, one line naming the place, nothing changed', async () => {
    const good = readFileSync(file('good.yaml', exported), 'utf8');
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      laughs.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const cases: [string, string, RegExp][] = [
      ['syntax.yaml', `${good}topics: [unclosed\n`, /^Error: .*syntax\.yaml:\d+:\d+: /],
      [
        'unknown.yaml',
        good.replace('retryMaxTimes: 7', 'retryMaxTimes: 8\n    retryMaxTime: 8'),
        /^Error: .*unknown\.yaml:\d+:5: groups\..*\.retryMaxTime: unknown field "retryMaxTime" \(did you mean "retryMaxTimes"\?\)/,
      ],
      ['laughs.yaml', `${laughs.join('\n')}\n`, /^Error: .*laughs\.yaml: aliases expand more than \d+ times/],
      [
        'oversize.yaml',
        `${good}# ${'x'.repeat(4 * 1024 * 1024)}\n`,
        /^Error: .*oversize\.yaml: \d+ bytes, over the 4 MiB/,
      ],
    ];
    for (const [name, text, expected] of cases) {
      const path = file(name, text);
      for (const args of [
        ['apply', '-f', path, '--yes'],
        ['diff', '-f', path],
      ]) {
        const r = await rmq(args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.equal(r.stdout, '');
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, expected);
      }
    }
    // retryMaxTimes 8 in the unknown-field file was never applied.
    assert.equal((await diff(file('good.yaml', exported))).code, 0);
  });
});
