/**
 * Real parsers for metric exposition text, from Debian packages (.ci/run unpacks both in CI):
 *
 *   - `promtool check metrics` (package prometheus) parses and lints the Prometheus text format
 *     0.0.4 only: given OpenMetrics it reads `# TYPE x counter` with samples `x_total` as two
 *     families and fails ("no help text"), so it checks the page served for `Accept: text/plain`.
 *   - prometheus_client's OpenMetrics parser (package python3-prometheus-client) checks OpenMetrics
 *     1.0 strictly: `# EOF`, counter `_total` samples, `# UNIT` against the name, histogram buckets
 *     ascending and ending in `+Inf` equal to `_count`.
 *
 * Each returns `skip` with the reason when its tool is missing; PROMTOOL, PYTHON3 and
 * PROM_CLIENT_PYTHONPATH point at unpacked copies.
 */
import { spawnSync } from 'node:child_process';

export interface ParserVerdict {
  /** why the parser could not run (its tool is missing) */
  skip?: string;
  ok?: boolean;
  output?: string;
}

export function promtoolCheck(text: string): ParserVerdict {
  const promtool = process.env.PROMTOOL || 'promtool';
  const probe = spawnSync(promtool, ['--version'], { encoding: 'utf8' });
  if (probe.error) return { skip: `${promtool} is not installed (apt-get install prometheus provides it)` };
  const res = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  return { ok: res.status === 0, output: `${res.stdout}${res.stderr}` };
}

const PARSE = [
  'import sys',
  'from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse',
  'families = list(parse(sys.stdin.read()))',
  'print(len(families), sum(len(f.samples) for f in families))',
].join('\n');

export function openMetricsParse(text: string): ParserVerdict & { families?: number; samples?: number } {
  const python = process.env.PYTHON3 || '/usr/bin/python3';
  const env = { ...process.env };
  if (process.env.PROM_CLIENT_PYTHONPATH) env.PYTHONPATH = process.env.PROM_CLIENT_PYTHONPATH;
  const probe = spawnSync(python, ['-c', 'import prometheus_client.openmetrics.parser'], {
    env,
    encoding: 'utf8',
  });
  if (probe.error || probe.status !== 0) {
    return {
      skip: `${python} has no prometheus_client (apt-get install python3-prometheus-client provides it)`,
    };
  }
  const res = spawnSync(python, ['-c', PARSE], { input: text, env, encoding: 'utf8', timeout: 30_000 });
  const [families, samples] = res.stdout.trim().split(' ').map(Number);
  return { ok: res.status === 0, output: `${res.stdout}${res.stderr}`, families, samples };
}

/** `name{labels}` → value of a page's sample lines, for lookups (the parsers above judge the syntax). */
export function sampleValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}
