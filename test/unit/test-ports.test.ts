import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePortBlock } from '../helpers/ports.js';

// The suite's lanes are separate processes: a port one of them drew is marked by a file, and no
// other process draws it while its JVM is still starting.
test('a port reserved by another process of the run is never drawn', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmq-ports-'));
  const before = process.env.RMQ_TEST_PORT_DIR;
  process.env.RMQ_TEST_PORT_DIR = dir;
  try {
    // Five sixths of the range drawn by the other lanes already: 20,000–29,999.
    for (let p = 20_000; p < 30_000; p++) closeSync(openSync(join(dir, String(p)), 'w'));
    const drawn = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const base = await freePortBlock(4);
      assert.ok(base >= 30_000, `block at ${base} overlaps the other lanes' ports`);
      for (let p = base; p < base + 4; p++) {
        assert.ok(!drawn.has(p), `${p} drawn twice`);
        drawn.add(p);
        assert.ok(existsSync(join(dir, String(p))), `${p} is reserved for the run`);
      }
    }
  } finally {
    if (before === undefined) delete process.env.RMQ_TEST_PORT_DIR;
    else process.env.RMQ_TEST_PORT_DIR = before;
    rmSync(dir, { recursive: true, force: true });
  }
});
