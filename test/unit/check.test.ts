/** rmq check without a cluster: thresholds, statuses, the state file, and each output format's rules. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { nagiosExitCode } from '../../src/exit-codes.js';
import { type CheckItem, summarize } from '../../src/services/check.js';
import {
  checkStatePath,
  dlqStateKey,
  loadCheckState,
  saveCheckState,
} from '../../src/services/check-state.js';
import {
  parseDiskThreshold,
  parseDlqGrowthThreshold,
  parseExpectBrokers,
  parseLagThreshold,
  statusAbove,
  worstStatus,
} from '../../src/services/check-thresholds.js';
import { escapeLabelValue, perfdata, renderNagios, renderOpenMetrics } from '../../src/ui/check-output.js';

const invalid = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (err: unknown) => err instanceof InvalidArgumentError && message.test(err.message));

describe('thresholds', () => {
  test('--max-disk: CRIT or WARN,CRIT in percent, as ratios', () => {
    assert.deepEqual(parseDiskThreshold('85%'), { warning: null, critical: 0.85 });
    assert.deepEqual(parseDiskThreshold('80%,90%'), { warning: 0.8, critical: 0.9 });
    assert.deepEqual(parseDiskThreshold('75'), { warning: null, critical: 0.75 });
    invalid(() => parseDiskThreshold('90%,80%'), /warning level 90% is above the critical 80%/);
    invalid(() => parseDiskThreshold('101%'), /over 100%/);
    invalid(() => parseDiskThreshold('-5%'), /not a non-negative number/);
    invalid(() => parseDiskThreshold('lots'), /not a non-negative number/);
    invalid(() => parseDiskThreshold('1,2,3'), /not CRIT or WARN,CRIT/);
    invalid(() => parseDiskThreshold('80%,'), /not CRIT or WARN,CRIT/);
    invalid(() => parseDiskThreshold('Infinity'), /not a non-negative number/);
  });

  test('--max-lag: GROUP=CRIT or GROUP=WARN,CRIT, whole numbers, a valid group name', () => {
    assert.deepEqual(parseLagThreshold('orders=1000'), {
      group: 'orders',
      threshold: { warning: null, critical: 1000 },
    });
    assert.deepEqual(parseLagThreshold('g_1=10,20'), {
      group: 'g_1',
      threshold: { warning: 10, critical: 20 },
    });
    invalid(() => parseLagThreshold('orders'), /not GROUP=THRESHOLD/);
    invalid(() => parseLagThreshold('=5'), /not GROUP=THRESHOLD/);
    invalid(() => parseLagThreshold('orders=1.5'), /not a whole number/);
    invalid(() => parseLagThreshold('orders=1e3'), /not a non-negative number/);
    invalid(() => parseLagThreshold('bad group=5'), /--max-lag:/);
  });

  test('--max-dlq-growth: [GROUP=]CRIT/unit or WARN,CRIT/unit, as messages per hour', () => {
    assert.deepEqual(parseDlqGrowthThreshold('orders=10/h'), {
      group: 'orders',
      threshold: { warning: null, critical: 10 },
    });
    assert.deepEqual(parseDlqGrowthThreshold('1,2/m'), {
      group: null,
      threshold: { warning: 60, critical: 120 },
    });
    assert.deepEqual(parseDlqGrowthThreshold('g=48/d'), {
      group: 'g',
      threshold: { warning: null, critical: 2 },
    });
    assert.deepEqual(parseDlqGrowthThreshold('g=1/s'), {
      group: 'g',
      threshold: { warning: null, critical: 3600 },
    });
    invalid(() => parseDlqGrowthThreshold('orders=10'), /no rate unit/);
    invalid(() => parseDlqGrowthThreshold('10/week'), /no rate unit/);
    invalid(() => parseDlqGrowthThreshold('5,1/h'), /warning level 5 is above the critical 1/);
    invalid(() => parseDlqGrowthThreshold('x/h'), /not a non-negative number/);
  });

  test('--expect-brokers: a count or broker names', () => {
    assert.deepEqual(parseExpectBrokers('2'), { count: 2 });
    assert.deepEqual(parseExpectBrokers('broker-a, broker-b,broker-a'), { names: ['broker-a', 'broker-b'] });
    invalid(() => parseExpectBrokers('0'), /at least 1/);
    invalid(() => parseExpectBrokers('a;b'), /neither a count nor broker names/);
  });

  test('a value is held to its levels: above critical, above warning, else ok', () => {
    const t = { warning: 10, critical: 20 };
    assert.equal(statusAbove(10, t), 'ok');
    assert.equal(statusAbove(11, t), 'warning');
    assert.equal(statusAbove(20, t), 'warning');
    assert.equal(statusAbove(21, t), 'critical');
    assert.equal(statusAbove(15, { warning: null, critical: 20 }), 'ok');
    assert.equal(statusAbove(1e9, null), 'ok');
  });

  test('the overall status is the worst: critical > warning > unknown > ok', () => {
    assert.equal(worstStatus([]), 'ok');
    assert.equal(worstStatus(['ok', 'unknown']), 'unknown');
    assert.equal(worstStatus(['unknown', 'warning', 'ok']), 'warning');
    assert.equal(worstStatus(['warning', 'critical', 'unknown']), 'critical');
    assert.deepEqual(
      [
        nagiosExitCode('ok'),
        nagiosExitCode('warning'),
        nagiosExitCode('critical'),
        nagiosExitCode('unknown'),
      ],
      [0, 1, 2, 3],
    );
  });
});

/** Names as hostile as a cluster can send: every character each format reserves. */
const HOSTILE = 'g|x=\'y"z\\w\nEVIL 1';

function sample(): CheckItem[] {
  return [
    {
      name: 'namesrv:127.0.0.1:1',
      kind: 'namesrv',
      labels: { address: '127.0.0.1:1' },
      status: 'critical',
      value: 0,
      threshold: null,
      message: 'name server 127.0.0.1:1 did not answer: connection refused | really\nreally',
    },
    {
      name: 'brokers',
      kind: 'brokers',
      labels: {},
      status: 'ok',
      value: 2,
      threshold: { warning: null, critical: 2, below: true },
      message: '2 masters',
    },
    {
      name: 'disk:broker-a/0:/data',
      kind: 'disk',
      labels: { broker: 'broker-a', broker_id: '0', address: '10.0.0.1:10911', path: '/data' },
      status: 'warning',
      value: 0.853,
      threshold: { warning: 0.8, critical: 0.9 },
      message: 'disk 85.3% used',
    },
    {
      name: `lag:${HOSTILE}`,
      kind: 'lag',
      labels: { group: HOSTILE },
      status: 'ok',
      value: 7,
      threshold: { warning: null, critical: 100 },
      message: `group ${HOSTILE}: 7 behind`,
    },
    {
      name: 'dlq-growth:g',
      kind: 'dlq-growth',
      labels: { group: 'g' },
      status: 'unknown',
      value: null,
      threshold: { warning: null, critical: 10 },
      message: 'needs a second run',
      dlqMessages: 3,
    },
  ];
}

describe('nagios', () => {
  test('one line: status, the checks not ok worst first, then perfdata; nothing from a name breaks it', () => {
    const r = summarize(sample(), ['127.0.0.1:1'], Date.UTC(2026, 0, 1), []);
    assert.equal(r.status, 'critical');
    const line = renderNagios(r);
    assert.equal(line.split('\n').length, 1, line);
    const [text, perf, ...more] = line.split(' | ');
    assert.equal(more.length, 0, 'one perfdata separator');
    assert.match(
      text!,
      /^RMQ CRITICAL - CRITICAL name server 127\.0\.0\.1:1 did not answer: connection refused \/ really really; WARNING disk 85\.3% used; UNKNOWN needs a second run$/,
    );
    const fields = perf!.split(/ (?=')/);
    assert.deepEqual(fields, [
      "'namesrv:127.0.0.1:1'=0;;1:;0;1",
      "'brokers'=2;;2:;0",
      "'disk:broker-a/0:/data'=85.3%;80;90;0;100",
      "'lag:g_x__y\"z\\w_EVIL 1'=7;;100;0",
    ]);
  });

  test('perfdata: a check without a value has none; all ok says so', () => {
    assert.equal(perfdata(sample()[4]!), null);
    const ok = summarize([sample()[1]!], [], 0, []);
    assert.equal(renderNagios(ok), "RMQ OK - all 1 checks ok | 'brokers'=2;;2:;0");
  });
});

interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict reader of the OpenMetrics text rmq writes (gauges, no timestamps): every line must be
 * a HELP, a TYPE or a sample of the family just declared; label values are unescaped by the
 * spec's three escapes only; the text ends with "# EOF\n". Throws on anything else.
 */
function parseOpenMetrics(text: string): {
  families: Map<string, { help: string; type: string }>;
  samples: ParsedSample[];
} {
  assert.ok(text.endsWith('# EOF\n'), 'ends with # EOF');
  const lines = text.slice(0, -1).split('\n');
  assert.equal(lines.pop(), '# EOF');
  const families = new Map<string, { help: string; type: string }>();
  const samples: ParsedSample[] = [];
  const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  let current = '';
  for (const line of lines) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const [, what, name, rest] = meta;
      assert.match(name!, NAME);
      if (name !== current) {
        assert.ok(!families.has(name!), `family ${name} declared twice`);
        families.set(name!, { help: '', type: '' });
        current = name!;
      }
      if (what === 'HELP') families.get(name!)!.help = rest!;
      else {
        assert.ok(['gauge', 'counter', 'info', 'unknown'].includes(rest!), rest);
        families.get(name!)!.type = rest!;
      }
      continue;
    }
    assert.ok(!line.startsWith('#'), `unexpected comment: ${line}`);
    let i = 0;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    assert.ok(name, `no metric name: ${line}`);
    assert.equal(name, current, `sample of ${name} outside its family`);
    i = name.length;
    const labels: Record<string, string> = {};
    if (line[i] === '{') {
      i++;
      while (line[i] !== '}') {
        const key = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i))?.[0];
        assert.ok(key, `bad label name at ${i}: ${line}`);
        i += key.length;
        assert.equal(line.slice(i, i + 2), '="', line);
        i += 2;
        let value = '';
        for (;;) {
          const c = line[i++];
          assert.ok(c !== undefined, `unterminated label value: ${line}`);
          if (c === '"') break;
          if (c === '\\') {
            const e = line[i++];
            if (e === '\\') value += '\\';
            else if (e === '"') value += '"';
            else if (e === 'n') value += '\n';
            else assert.fail(`bad escape \\${e} in ${line}`);
          } else value += c;
        }
        assert.ok(!(key in labels), `label ${key} twice`);
        labels[key] = value;
        if (line[i] === ',') i++;
        else assert.equal(line[i], '}', line);
      }
      i++;
    }
    assert.equal(line[i], ' ', line);
    const valueText = line.slice(i + 1);
    assert.match(valueText, /^-?(?:\d+(?:\.\d+)?(?:e[-+]?\d+)?)$/, `value of ${line}`);
    samples.push({ name, labels, value: Number(valueText) });
  }
  for (const [name, f] of families) assert.equal(f.type, 'gauge', `${name} has a TYPE`);
  const seen = new Set(samples.map((s) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`));
  assert.equal(seen.size, samples.length, 'no series twice');
  return { families, samples };
}

describe('OpenMetrics', () => {
  const r = summarize(sample(), ['127.0.0.1:1'], Date.UTC(2026, 0, 1), []);
  const text = renderOpenMetrics(r);

  test('label values: backslash, double quote and line feed escaped, nothing else', () => {
    assert.equal(escapeLabelValue('a\\b"c\nd|e=f'), 'a\\\\b\\"c\\nd|e=f');
  });

  test('parses strictly, every family typed, hostile names come back intact', () => {
    const { families, samples } = parseOpenMetrics(text);
    for (const name of [
      'rmq_check_overall_status',
      'rmq_check_status',
      'rmq_check_timestamp_seconds',
      'rmq_namesrv_up',
      'rmq_brokers_masters',
      'rmq_broker_disk_used_ratio',
      'rmq_group_lag',
      'rmq_dlq_messages',
    ])
      assert.ok(families.has(name), name);
    // dlq growth has no value yet: no sample, and no empty family.
    assert.ok(!families.has('rmq_dlq_growth_per_hour'));
    const get = (name: string, labels: Record<string, string> = {}) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        ?.value;
    assert.equal(get('rmq_check_overall_status'), 2);
    assert.equal(get('rmq_check_timestamp_seconds'), Date.UTC(2026, 0, 1) / 1000);
    assert.equal(get('rmq_group_lag', { group: HOSTILE }), 7);
    assert.equal(get('rmq_check_status', { check: `lag:${HOSTILE}`, kind: 'lag' }), 0);
    assert.equal(get('rmq_check_status', { check: 'dlq-growth:g' }), 3);
    assert.equal(get('rmq_check_status', { check: 'disk:broker-a/0:/data' }), 1);
    assert.equal(get('rmq_broker_disk_used_ratio', { broker: 'broker-a', path: '/data' }), 0.853);
    assert.equal(get('rmq_namesrv_up', { address: '127.0.0.1:1' }), 0);
    assert.equal(get('rmq_dlq_messages', { group: 'g' }), 3);
  });

  test('a value that is not a finite number is left out, never printed as NaN', () => {
    const bad = summarize([{ ...sample()[3]!, value: Number.NaN }], [], 0, []);
    const out = renderOpenMetrics(bad);
    assert.doesNotMatch(out, /NaN|Inf/);
    assert.ok(!parseOpenMetrics(out).families.has('rmq_group_lag'));
  });

  test('promtool check metrics accepts it', (t) => {
    const promtool = process.env.PROMTOOL || 'promtool';
    const probe = spawnSync(promtool, ['--version'], { encoding: 'utf8' });
    if (probe.error) {
      t.skip(
        `${promtool} is not installed (apt-get install prometheus provides it); the strict parser above still ran`,
      );
      return;
    }
    const res = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(res.status, 0, `${res.stdout}${res.stderr}`);
  });
});

describe('state file', () => {
  test('in rmq state dir; saved 0600 and read back; damaged or foreign content starts afresh', async () => {
    assert.equal(checkStatePath({ XDG_STATE_HOME: '/s' }), '/s/rmq/check-state.json');
    assert.equal(dlqStateKey(['b:1', 'a:1'], 'g'), dlqStateKey(['a:1', 'b:1'], 'g'));
    const dir = mkdtempSync(join(tmpdir(), 'rmq-check-state-'));
    try {
      const path = join(dir, 'rmq', 'check-state.json');
      assert.deepEqual((await loadCheckState(path)).problem, undefined);
      const now = Date.now();
      await saveCheckState(
        path,
        { version: 1, dlq: { k: { total: 5, at: now }, old: { total: 1, at: now - 31 * 24 * 3600 * 1000 } } },
        now,
      );
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.deepEqual({ ...(await loadCheckState(path)).state.dlq }, { k: { total: 5, at: now } });
      writeFileSync(
        path,
        '{"dlq":{"a":{"total":-1,"at":1},"b":{"total":"3","at":1},"__proto__":{"total":2,"at":3}}}',
      );
      const { state } = await loadCheckState(path);
      assert.deepEqual(Object.keys(state.dlq), ['__proto__']);
      assert.equal(Object.getPrototypeOf(state.dlq), null);
      writeFileSync(path, 'not json');
      assert.match((await loadCheckState(path)).problem ?? '', /not valid JSON; started afresh/);
      assert.match(
        readFileSync(path, 'utf8'),
        /not json/,
        'a damaged file is only replaced by the next save',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
