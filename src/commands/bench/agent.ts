import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { defaultAgentId } from '../../bench/agents/bus.js';
import { ID_PATTERN, POOL_PATTERN } from '../../bench/agents/codec.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { connectionFlags } from '../../flags.js';
import { escapeFor } from '../../ui/terminal-text.js';
import { type AgentOutcome, runAgent } from '../../services/bench/agent.js';

export default class BenchAgent extends BaseCommand<typeof BenchAgent> {
  static override summary =
    'Join a pool of load hosts and run the share of `rmq bench --agents N` given to it.';
  static override description = `Waits for runs of \`rmq bench --agents N --pool NAME\`, says hello once a second on the pool's results topic and answers the coordinator's clock pings; each run's share (producers, consumers, its part of --rate) runs here on this host's own connections (its own --namesrv, profile and credentials: none travel on the bus), in the coordinator's time, started at the instant it is told. Then it waits for the next run.

The pool's two topics (rmq_bench_pool_NAME_control and rmq_bench_pool_NAME_results, one queue each) are created when missing. A coordinator that goes silent for 15 s stops its run here, and the agent waits again. Ctrl-C (or SIGTERM) ends a run in progress as interrupted, reports it and leaves.`;
  static override examples = [
    '<%= config.bin %> bench agent --pool load',
    '<%= config.bin %> bench agent --pool load --id "$(hostname)-1" --runs 1',
  ];
  static override flags = {
    ...connectionFlags,
    pool: Flags.string({ summary: 'The pool to join.', default: 'default' }),
    id: Flags.string({ summary: "This agent's name in reports (default: HOST-PID)." }),
    runs: Flags.integer({ summary: 'Leave after this many runs (e.g. 1 for a Kubernetes Job).', min: 1 }),
  };

  async run(): Promise<AgentOutcome> {
    const f = this.flags;
    if (!POOL_PATTERN.test(f.pool))
      throw new InvalidArgumentError(`invalid --pool "${f.pool}"`, {
        hint: 'use up to 48 characters a-z A-Z 0-9 _ -',
      });
    const id = f.id ?? defaultAgentId();
    if (!ID_PATTERN.test(id))
      throw new InvalidArgumentError(`invalid --id "${id}"`, {
        hint: 'use up to 64 characters a-z A-Z 0-9 _ . -',
      });
    const signal = this.interruptSignal();
    const c = await this.connection();
    const outcome = await runAgent({
      namesrv: c.namesrv,
      timeoutMs: c.timeoutMs,
      security: { credentials: c.credentials, tls: c.tls, addressMap: c.addressMap },
      pool: f.pool,
      id,
      runs: f.runs,
      toolVersion: this.config.version,
      signal,
      log: (t) => process.stderr.write(`${new Date().toISOString()} ${escapeFor(process.stderr)(t)}\n`),
    });
    if (!this.jsonEnabled()) {
      process.stdout.write(
        `agent ${id}: ${outcome.runs.length} runs (${outcome.runs.filter((r) => r.outcome === 'done').length} done)\n`,
      );
    }
    if (signal.aborted) this.setOutcome('interrupted');
    return outcome;
  }
}
