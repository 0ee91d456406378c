import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { connectionFlags, duration } from '../flags.js';
import { parseSmokeSlos, parseTypes, SMOKE_TYPES, type SmokeResult } from '../services/smoke/model.js';
import { runSmoke } from '../services/smoke/run.js';
import { stdoutColor } from '../ui/color.js';
import { renderSmokeReport } from '../ui/smoke-report.js';
import { forTerminal } from '../ui/terminal-text.js';

export default class Smoke extends BaseCommand<typeof Smoke> {
  static override summary =
    'One-command end-to-end check of a cluster, for CI: send, consume, verify, clean up.';
  static override description = `Sends --count messages of each type (normal, fifo, delay, transaction) to a topic, consumes them with a fresh group and checks: every message arrived exactly once, FIFO ones in order, delayed ones not early (5.x: --delay timer; 4.x: --delay-level), committed transactions delivered and a rolled-back one not, and that a traced message's trace holds its Pub and SubAfter records. Optional --slo thresholds use bench's syntax over send, e2e and delay latencies (e.g. 'p99(e2e)<500ms') and errors, lost, duplicates, reordered. The group, and the topic if smoke created it, are deleted afterwards.

Without --topic a temporary topic is created and deleted. Exit codes: 0 everything held; 3 the cluster cannot be reached; 9 a check failed; 99 an SLO failed (checks all held).`;
  static override examples = [
    '<%= config.bin %> smoke',
    '<%= config.bin %> smoke -n mq.example.com:9876 --topic ci_smoke --create --count 20',
    "<%= config.bin %> smoke --types normal,fifo --slo 'p99(e2e)<500ms' --json",
  ];
  static override flags = {
    ...connectionFlags,
    topic: Flags.string({
      char: 't',
      summary: 'Topic to use (default: a temporary one, created and deleted).',
    }),
    create: Flags.boolean({ summary: 'Create --topic if it does not exist (and delete it afterwards).' }),
    types: Flags.string({
      summary: `Message types to check, comma-separated: ${SMOKE_TYPES.join(', ')} (default all).`,
      multiple: true,
    }),
    count: Flags.integer({ char: 'c', summary: 'Messages of each type.', default: 10, min: 1 }),
    delay: duration({
      summary: 'Delay of the delay messages on RocketMQ 5.x (timer).',
      default: 2000,
      defaultHelp: async () => '2s',
    }),
    'delay-level': Flags.integer({
      summary: 'Delay level of the delay messages on RocketMQ 4.x (1 = 1 s).',
      default: 1,
      min: 1,
      max: 18,
    }),
    wait: duration({
      summary: 'How long to wait for the messages to arrive (beyond their delay).',
      default: 30_000,
      defaultHelp: async () => '30s',
    }),
    trace: Flags.boolean({
      summary: 'Trace the messages and check a trace is complete (--no-trace skips it).',
      default: true,
      allowNo: true,
    }),
    proxy: Flags.string({
      summary:
        "Send and consume through this 5.x proxy's remoting address (host:port); set-up and cleanup stay with --namesrv.",
      description:
        "--types defaults to normal then: a proxy refuses a message whose type is not its topic's (MESSAGE_ILLEGAL), so check the other types with --topic of that type and --types.",
    }),
    'trace-topic': Flags.string({ summary: 'Trace topic.', defaultHelp: async () => 'RMQ_SYS_TRACE_TOPIC' }),
    slo: Flags.string({
      summary: "Latency/loss threshold, e.g. 'p99(e2e)<500ms', 'max(send)<1s', 'lost==0' (repeatable).",
      multiple: true,
    }),
  };

  async run(): Promise<SmokeResult> {
    const f = this.flags;
    const c = await this.connection();
    // Ctrl-C skips to the clean-up; the report says "interrupted" (exit 130).
    const signal = this.interruptSignal();
    // Usage errors (exit 2) before anything is shown or sent.
    // A 5.x proxy checks each message's type against its topic's, and smoke's one topic is NORMAL.
    const types = parseTypes(f.types) ?? (f.proxy ? (['normal'] as const).slice() : undefined);
    parseSmokeSlos(f.slo ?? []);
    const progress = await this.progress('smoke test');
    let result: SmokeResult;
    try {
      result = await runSmoke({
        namesrv: c.namesrv,
        proxy: f.proxy,
        timeoutMs: c.timeoutMs,
        security: { credentials: c.credentials, tls: c.tls, addressMap: c.addressMap },
        topic: f.topic,
        create: f.create,
        types,
        count: f.count,
        delayMs: f.delay,
        delayLevel: f['delay-level'],
        waitMs: f.wait,
        trace: f.trace,
        traceTopic: f['trace-topic'],
        slo: f.slo ?? [],
        signal,
        onProgress: (t) => progress.update(t),
      });
    } finally {
      progress.stop();
    }
    if (!this.jsonEnabled())
      // Check details carry error messages from the wire: escaped on a terminal.
      process.stdout.write(
        renderSmokeReport(forTerminal(result), {
          color: stdoutColor().level > 0,
        }),
      );
    this.setOutcome(result.status);
    return result;
  }
}
