import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { InvalidArgumentError } from '../core/errors.js';
import { connectionFlags, maxBodyFlag } from '../flags.js';
import { parseTimestamp } from '../services/consume.js';
import type { TraceResult } from '../services/trace-result.js';
import { traceMessage } from '../services/trace.js';
import { stdoutColor } from '../ui/color.js';
import { forTerminal } from '../ui/terminal-text.js';
import { renderTrace } from '../ui/trace-view.js';

export default class Trace extends BaseCommand<typeof Trace> {
  static override summary = 'Where is my message? Its trace, consumption state per group, retries and DLQ.';
  static override description = `Accepts the message id (UNIQ_KEY, what \`rmq send\` prints as msgId) or the offset message id. Finds the message, the trace records clients wrote about it (\`--trace\` of send/consume/bench, or Java clients with message trace on) and, for every group that consumes its topic, whether the group's offsets are past it, its retry copies in %RETRY%<group> and a copy in %DLQ%<group>. Shows a timeline: born → stored → each delivery attempt per group, with the time between hops.

Without --topic the topic is taken from the trace records, else every topic's index is asked (slower). --wait-consumed --group G waits until G consumed the message (exit 0), and exits 4 when --timeout passes first, 9 when the message went to G's dead-letter queue.`;
  static override examples = [
    '<%= config.bin %> trace C0A8010A1A2B18B4AAC2376B5F1E0000',
    '<%= config.bin %> trace 7F000001000078BF00000000861A488F --json | jq .groups',
    '<%= config.bin %> trace C0A8010A1A2B18B4AAC2376B5F1E0000 --topic orders --begin 2026-11-22T00:00:00Z',
    '<%= config.bin %> trace "$ID" --topic orders --wait-consumed --group billing --timeout 30s',
  ];
  static override args = {
    id: Args.string({ required: true, description: 'Message id (UNIQ_KEY) or offset message id.' }),
  };
  static override flags = {
    ...connectionFlags,
    topic: Flags.string({
      char: 't',
      summary: 'Topic of the message (faster, and needed for untraced messages).',
    }),
    begin: Flags.string({
      summary: 'Only look at index entries stored from this time (ISO or epoch ms).',
      description:
        'Default: the whole index for the message; from a minute before the message was born for its trace.',
    }),
    end: Flags.string({ summary: 'Only look at index entries stored until this time (ISO or epoch ms).' }),
    group: Flags.string({
      char: 'g',
      summary: 'Only this consumer group (repeatable); the group --wait-consumed waits for.',
      multiple: true,
    }),
    'trace-topic': Flags.string({
      summary: 'Trace topic to read.',
      defaultHelp: async () => 'RMQ_SYS_TRACE_TOPIC',
    }),
    'max-body': maxBodyFlag(),
    'wait-consumed': Flags.boolean({
      summary: 'Wait until --group consumed the message; --timeout bounds the wait.',
      dependsOn: ['group'],
    }),
  };

  async run(): Promise<TraceResult> {
    const f = this.flags;
    const c = await this.connection();
    if (f['wait-consumed'] && (f.group?.length ?? 0) !== 1) {
      throw new InvalidArgumentError('--wait-consumed waits for one group: give exactly one --group');
    }
    const progress = await this.progress(`tracing ${this.args.id}`);
    let result: TraceResult;
    try {
      result = await traceMessage(await this.admin(), {
        id: this.args.id,
        topic: f.topic,
        beginMs: f.begin === undefined ? undefined : parseTimestamp(f.begin, '--begin'),
        endMs: f.end === undefined ? undefined : parseTimestamp(f.end, '--end'),
        traceTopic: f['trace-topic'],
        groups: f.group,
        waitConsumed: f['wait-consumed'] ? { group: f.group![0]!, timeoutMs: c.timeoutMs } : undefined,
        maxBodyBytes: f['max-body'],
        onProgress: (t) => progress.update(t),
      });
    } finally {
      progress.stop();
    }
    if (!this.jsonEnabled()) {
      // Names, keys, hosts and notes from the wire: escaped on a terminal.
      process.stdout.write(renderTrace(forTerminal(result), { color: stdoutColor().level > 0 }));
    }
    return result;
  }
}
