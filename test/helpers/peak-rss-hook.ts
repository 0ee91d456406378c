/**
 * Preloaded into a CLI child (NODE_OPTIONS=--import=<this file>) to record its peak resident set
 * size: at exit, VmHWM from /proc/self/status is written to $RMQ_TEST_PEAK_RSS_FILE. The kernel
 * keeps the high-water mark, so nothing is sampled and no peak between samples is missed.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env.RMQ_TEST_PEAK_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const kib = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    writeFileSync(file, kib ?? '');
  });
}
