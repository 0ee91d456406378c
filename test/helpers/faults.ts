/**
 * What the fault drills (test/integration/faults-*.test.ts) share: a cluster of a drill's own on
 * free ports, stopped with whatever ran against it; the rows a running bench has written to its
 * --csv file; and the one-line check of an error on stderr.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CSV_COLUMNS } from '../../src/bench/output.js';
import type { Background } from './cli.js';
import { startCluster, type TestCluster, UP_TIMEOUT_MS } from './cluster.js';
import { freeClusterPorts } from './ports.js';

export const sec = (ms: number): string => (ms / 1000).toFixed(1);
/** Starting the cluster may take its whole wait; then up to 5 min of fault and recovery. */
export const TEST_TIMEOUT = UP_TIMEOUT_MS + 300_000;

export interface CsvInterval {
  index: number;
  endMs: number;
  sent: number;
  queued: number;
}

/** The rows a running bench has written to its --csv file so far. */
export function csvIntervals(file: string): CsvInterval[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
  // Complete lines only (the last one may be half written); the header first.
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => {
      const cells = l.split(',');
      return {
        index: Number(cells[col('index')]),
        endMs: Number(cells[col('end_ms')]),
        sent: Number(cells[col('sent')]),
        queued: Number(cells[col('queued')]),
      };
    });
}

/** One line, no stack trace: what a script or a person reads on stderr. */
export function assertOneLine(stderr: string, what: string): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: one line on stderr, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /^\s+at /m, `${what}: no stack trace`);
}

/** A cluster of the test's own on free ports, stopped (with whatever ran against it) at the end. */
export async function withCluster(
  name: string,
  body: (c: TestCluster, background: Background[]) => Promise<void>,
): Promise<void> {
  const { namesrvPort, brokerPort } = await freeClusterPorts();
  const c = await startCluster(name, namesrvPort, brokerPort);
  const background: Background[] = [];
  try {
    await body(c, background);
  } finally {
    for (const b of background) b.kill('SIGKILL');
    await Promise.all(background.map((b) => b.done));
    await c.down();
  }
}
