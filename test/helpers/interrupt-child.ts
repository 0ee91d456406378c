/**
 * A command on BaseCommand that waits to be interrupted, for test/unit/interrupt.test.ts: it
 * says "ready" on stderr once its handlers are in place, and after the first Ctrl-C takes
 * --stop-ms to stop gracefully (a hung stop when that is long) before returning its result with
 * the outcome "interrupted".
 */
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../src/base-command.js';
import { REPO_ROOT } from './cli.js';

export interface StopResult {
  stopped: 'gracefully';
}

class WaitForInterrupt extends BaseCommand<typeof WaitForInterrupt> {
  static override flags = { 'stop-ms': Flags.integer({ default: 0 }) };

  async run(): Promise<StopResult> {
    const signal = this.interruptSignal(() => process.stderr.write('stopping\n'));
    // An abort listener alone does not keep the process alive; a command's sockets would.
    const alive = setInterval(() => {}, 60_000);
    process.stderr.write('ready\n');
    await once(signal, 'abort');
    await sleep(this.flags['stop-ms']);
    clearInterval(alive);
    this.setOutcome('interrupted');
    return { stopped: 'gracefully' };
  }
}

await WaitForInterrupt.run(process.argv.slice(2), REPO_ROOT);
