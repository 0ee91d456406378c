/**
 * The core is a RocketMQ client, not the CLI: no string in src/core names an rmq flag, an rmq
 * command or one of rmq's environment variables. Advice in those words lives in src/hints.ts,
 * keyed by the errors' reasons. RocketMQ's own names (RMQ_SYS_* topics, mqadmin) are its words.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { BrokerResponseError, ConnectionError, NotFoundError, RocketMQError } from '../../src/core/errors.js';
import { hintFor } from '../../src/hints.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const CLI_WORDS: readonly [string, RegExp][] = [
  ['a --flag', /(?:^|[^\w-])--[a-z][a-z0-9-]*/],
  ['an rmq command', /\brmq [a-z]/],
  ['an rmq environment variable', /\b(?:RMQ_(?!SYS_)[A-Z0-9_]+|NAMESRV_ADDR)\b/],
];

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? tsFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

/** Every string literal and template text in a file, with its line. */
function literals(file: string): { line: number; text: string }[] {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: { line: number; text: string }[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      out.push({ line: src.getLineAndCharacterOfPosition(node.getStart()).line + 1, text: node.text });
    }
    node.forEachChild(visit);
  };
  visit(src);
  return out;
}

describe('src/core speaks no CLI words', () => {
  it('has no string literal naming a flag, an rmq command or an rmq environment variable', () => {
    const files = tsFiles(join(ROOT, 'src', 'core'));
    assert.ok(files.length > 30, `found only ${files.length} files under src/core`);
    const found: string[] = [];
    for (const file of files) {
      for (const { line, text } of literals(file)) {
        for (const [what, re] of CLI_WORDS) {
          if (re.test(text))
            found.push(`${file.slice(ROOT.length)}:${line}: ${what}: ${JSON.stringify(text)}`);
        }
      }
    }
    assert.deepEqual(found, []);
  });

  it('the scanner sees what it looks for', () => {
    const hits = (text: string) => CLI_WORDS.filter(([, re]) => re.test(text)).map(([w]) => w);
    assert.deepEqual(hits('pass --namesrv host:port'), ['a --flag']);
    assert.deepEqual(hits('start one with `rmq local up`'), ['an rmq command']);
    assert.deepEqual(hits('set RMQ_ACCESS_KEY'), ['an rmq environment variable']);
    assert.deepEqual(hits('or set NAMESRV_ADDR'), ['an rmq environment variable']);
    assert.deepEqual(hits('RMQ_SYS_TRACE_TOPIC'), []);
    assert.deepEqual(hits('CID_RMQ_SYS_x'), []);
    assert.deepEqual(hits('a-b--c'), []);
  });
});

describe('hintFor', () => {
  it('turns a reason into the CLI advice', () => {
    const e = new NotFoundError('topic "t" does not exist', { reason: 'topic-not-found' });
    assert.equal(e.hint, undefined);
    assert.equal(hintFor(e), 'list topics with `rmq topic list`, or create it with `rmq topic create`');
  });

  it('uses details where the advice depends on them', () => {
    const one = new ConnectionError('a:1', 'refused', {
      reason: 'namesrv-unreachable',
      details: { addresses: 1 },
    });
    const two = new ConnectionError('a:1;b:2', 'refused', {
      reason: 'namesrv-unreachable',
      details: { addresses: 2 },
    });
    assert.match(hintFor(one) ?? '', /start a local cluster with `rmq local up`/);
    assert.match(hintFor(two) ?? '', /start one with `rmq local up`/);
  });

  it('falls back to the error’s own hint, then walks the cause chain', () => {
    assert.equal(hintFor(new RocketMQError('broker', 'x', { hint: 'do y' })), 'do y');
    const inner = new BrokerResponseError(16, 'username cannot be null.');
    const outer = new RocketMQError('broker', 'wrapped', { cause: new Error('plain', { cause: inner }) });
    assert.match(hintFor(outer) ?? '', /^set RMQ_ACCESS_KEY and RMQ_SECRET_KEY/);
    const own = new RocketMQError('broker', 'wrapped', { hint: 'outer advice', cause: inner });
    assert.equal(hintFor(own), 'outer advice');
  });

  it('keeps RocketMQ’s own advice (mqadmin, plain_acl.yml) on the error', () => {
    const denied = new BrokerResponseError(
      16,
      'User:reader has no permission to access Topic:T from 127.0.0.1',
    );
    assert.equal(denied.reason, 'acl-denied');
    assert.match(denied.hint ?? '', /mqadmin createAcl/);
    assert.equal(hintFor(denied), denied.hint);
  });

  it('is undefined for anything without advice, and stops on a cause cycle', () => {
    assert.equal(hintFor(new Error('x')), undefined);
    assert.equal(hintFor('x'), undefined);
    const a = new RocketMQError('broker', 'a');
    (a as { cause?: unknown }).cause = a;
    assert.equal(hintFor(a), undefined);
  });
});
