import { homedir } from 'node:os';
import { join } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { InvalidArgumentError } from '../core/errors.js';
import { connectionFlags, duration, maxBodyFlag, size } from '../flags.js';
import {
  type ConsumeResult,
  consume,
  OUTPUT_FORMATS,
  parseNackRule,
  parseStartFrom,
  parseTimestamp,
} from '../services/consume.js';
import { parseDelimiter } from '../services/escapes.js';
import { sinkKindOf } from '../services/output-sink.js';
import { messageRenderer } from '../ui/message-render.js';
import { escapeControls } from '../ui/terminal-text.js';

const defaultOffsetsDir = () =>
  join(process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'rmq', 'offsets');

export default class Consume extends BaseCommand<typeof Consume> {
  static override summary = 'Consume messages of a topic as a member of a consumer group.';
  static override description = `Clustering by default: several processes in one group share the queues and rebalance when one joins or leaves. A message's offset is committed only after the message was written out, so nothing is skipped: stop with --count, --until-end, --idle-timeout, Ctrl-C, or by closing stdout (| head), and the next consume of the group goes on from the first message not written out.

Output formats: text (one line per message), ndjson (one JSON record per message, the shape \`send --input ndjson\` reads), body (raw bodies, each followed by --delimiter), template (--template with tokens {topic} {msgId} {offsetMsgId} {keys} {tags} {queue} {offset} {broker} {bornTime} {storeTime} {bornTimestamp} {storeTimestamp} {reconsumeTimes} {bornHost} {storeHost} {body} {bodyBase64} {prop.NAME}; escapes as in --delimiter).

--json returns the messages in one document written when consuming stops, so it needs --count, --until-end or --idle-timeout (stream with --output ndjson instead); their offsets are committed only after the document is written.

--pop (RocketMQ 5.x) consumes the POP way: the broker picks the queues and messages for each request, so any number of members share any number of queues without a rebalance, and a slow member holds nothing up. A message is acked only once written out; one that is not (the process died, stdout closed) comes back after --invisible-time. A nacked one (--nack) comes back after the broker's retry delay, and goes to the DLQ after the group's retryMaxTimes (--max-reconsume does not apply). No --broadcast, --orderly, --dlq, --reset-to or --from <time> with it.

--lite-topic L (RocketMQ 5.5+, repeatable) consumes lite topics of a LITE parent topic (\`rmq lite create\`) with a group bound to it (\`rmq lite bind\`): rmq subscribes them on the parent's brokers and the broker hands out their messages, in order within each lite topic. --from first starts a lite topic the group has no offset in at its first message; last (the default) takes new messages only. A message is acked once written out, as with --pop (--invisible-time applies). No --pop, --nack, --tag, --sql, --broadcast, --orderly, --dlq, --reset-to or --from <time> with it; a broker older than 5.5 is refused (exit 2).

A compressed body that would inflate past --max-body (or is not valid zlib) is not shown: a warning names the message, the ndjson/--json record carries bodyError instead of a body, and the message counts as consumed.`;
  static override examples = [
    '<%= config.bin %> consume orders -g billing --from first --until-end',
    '<%= config.bin %> consume orders -g billing --output ndjson --count 100 > orders.ndjson',
    "<%= config.bin %> consume orders -g billing --tag 'paid || refunded' --output body | head -n 3",
    '<%= config.bin %> consume orders -g audit --sql "amount > 100" --output template --template \'{msgId} {prop.amount}\'',
    '<%= config.bin %> consume -g billing --dlq --from first --until-end',
    '<%= config.bin %> consume chats -g chat-readers --lite-topic room-7 --from first --output ndjson',
  ];
  static override args = {
    topic: Args.string({ description: 'Topic to consume (not needed with --dlq).' }),
  };
  static override flags = {
    ...connectionFlags,
    group: Flags.string({ char: 'g', summary: 'Consumer group.', env: 'RMQ_CONSUMER_GROUP', required: true }),
    from: Flags.string({
      summary: 'Where a group without committed offsets starts: first, last, or a time (ISO or epoch ms).',
      default: 'last',
    }),
    'reset-to': Flags.string({ summary: 'Move the group to this time (ISO or epoch ms) before consuming.' }),
    tag: Flags.string({ summary: "Tag filter, e.g. 'a || b'." }),
    sql: Flags.string({ summary: 'SQL92 filter on message properties (broker needs enablePropertyFilter).' }),
    broadcast: Flags.boolean({
      summary: 'Broadcasting: this process gets every message; offsets kept locally.',
    }),
    orderly: Flags.boolean({ summary: 'Per-queue sequential consumption under broker queue locks (FIFO).' }),
    count: Flags.integer({ char: 'c', summary: 'Stop after this many messages.', min: 1 }),
    'until-end': Flags.boolean({ summary: 'Stop when caught up with the end of every assigned queue.' }),
    'idle-timeout': duration({ summary: 'Stop after this long without a message (e.g. 10s).' }),
    output: Flags.option({
      char: 'o',
      options: OUTPUT_FORMATS,
      default: 'text' as const,
      summary: 'Output format.',
    })(),
    template: Flags.string({ summary: 'Template for --output template.' }),
    delimiter: Flags.string({
      summary: 'Written after each body with --output body (escapes \\n \\t \\r \\0 \\xHH \\uHHHH \\\\).',
      default: '\\n',
    }),
    nack: Flags.string({ summary: 'Send matching messages back for retry: all, every:N, key:K or tag:T.' }),
    'max-reconsume': Flags.integer({
      summary: 'Deliveries before a nacked message goes to %DLQ%<group>.',
      default: 16,
      min: 0,
    }),
    'retry-delay-level': Flags.integer({
      summary: 'Delay level of a retry (0 = the broker schedule: 10s, 30s, 1m, …).',
      default: 0,
      min: 0,
      max: 18,
    }),
    'pipe-window': size({
      summary: 'When stdout is a pipe, bytes that must follow a message before its offset is committed.',
      description:
        'A reader like `head` may read a block and exit, dropping what it read; so a message written to a pipe counts as consumed once this much later output was accepted, or at a clean stop. 0 trusts the pipe.',
      default: 128 * 1024,
      defaultHelp: async () => '128KiB',
    }),
    dlq: Flags.boolean({ summary: "Read the group's dead-letter queue %DLQ%<group>." }),
    pop: Flags.boolean({
      summary:
        'POP consumption (RocketMQ 5.x): the broker hands out messages, no client rebalance or offsets; each is acked once written out.',
      helpGroup: 'POP',
    }),
    'invisible-time': duration({
      summary:
        'With --pop: how long a handed-out message stays hidden from other members before it comes back.',
      default: 60_000,
      defaultHelp: async () => '60s',
      helpGroup: 'POP',
    }),
    'lite-topic': Flags.string({
      summary:
        'Consume this lite topic of the LITE parent topic (RocketMQ 5.5+, repeatable); the group must be bound to the parent (`rmq lite bind`).',
      multiple: true,
      helpGroup: 'LITE',
    }),
    'max-body': maxBodyFlag(),
    'offsets-dir': Flags.string({
      summary: 'Where --broadcast keeps offsets.',
      env: 'RMQ_OFFSETS_DIR',
      default: async () => defaultOffsetsDir(),
    }),
    trace: Flags.boolean({
      summary:
        'Write message-trace records (SubBefore and SubAfter for every delivery), as the Java client with enableMsgTrace does.',
      helpGroup: 'TRACE',
    }),
    'trace-topic': Flags.string({
      summary: 'Trace topic to write to (implies --trace).',
      defaultHelp: async () => 'RMQ_SYS_TRACE_TOPIC',
      helpGroup: 'TRACE',
    }),
  };

  async run(): Promise<ConsumeResult | undefined> {
    const f = this.flags;
    if (!this.args.topic && !f.dlq) {
      throw new InvalidArgumentError('missing topic', { hint: 'rmq consume <topic> -g <group>, or --dlq' });
    }
    if (f.output === 'template' && !f.template) {
      throw new InvalidArgumentError('--output template needs --template', {
        hint: "e.g. --template '{msgId} {body}'",
      });
    }
    // Ctrl-C stops gracefully, like --count: handlers finish, offsets are committed, exit 0.
    const signal = this.interruptSignal();
    const quiet = this.jsonEnabled();
    const c = await this.connection();
    const result = await consume({
      namesrv: c.namesrv,
      timeoutMs: c.timeoutMs,
      security: { credentials: c.credentials, tls: c.tls, addressMap: c.addressMap },
      topic: this.args.topic ?? '',
      group: f.group,
      from: f.dlq && f.from === 'last' ? { kind: 'first' } : parseStartFrom(f.from),
      resetToMs: f['reset-to'] === undefined ? undefined : parseTimestamp(f['reset-to'], '--reset-to'),
      tag: f.tag,
      sql: f.sql,
      broadcast: f.broadcast,
      orderly: f.orderly,
      dlq: f.dlq,
      count: f.count,
      untilEnd: f['until-end'],
      idleTimeoutMs: f['idle-timeout'],
      nack: f.nack === undefined ? undefined : parseNackRule(f.nack),
      maxReconsume: f['max-reconsume'],
      retryDelayLevel: f['retry-delay-level'],
      offsetsDir: f['offsets-dir'],
      // --json: the document is written here, before the offsets of its messages are committed.
      document: quiet ? (r) => this.writeDocument(r) : undefined,
      out: process.stdout,
      outKind: sinkKindOf(1),
      outFd: 1,
      pipeWindow: f['pipe-window'],
      trace: f.trace || f['trace-topic'] ? { topic: f['trace-topic'] } : undefined,
      maxBodyBytes: f['max-body'],
      pop: f.pop ? { invisibleTimeMs: f['invisible-time'] } : undefined,
      lite: f['lite-topic']?.length
        ? { liteTopics: [...new Set(f['lite-topic'])], invisibleTimeMs: f['invisible-time'] }
        : undefined,
      onBodyError: (note) => this.note(note),
      signal,
      onWarning: (err) => {
        if (f.debug) this.note(`${(err as Error).message}`);
      },
      onPullTarget: (c) => {
        if (!f.debug) return;
        const was = c.suggested === undefined ? '' : `, the broker suggested ${c.suggested}`;
        this.note(
          `${c.mq.brokerName} queue ${c.mq.queueId}: pulling from broker ${c.brokerId} (${c.address})${was}`,
        );
      },
      onTraceError: (err) => this.note(`could not write trace records: ${(err as Error).message}`),
      render: messageRenderer(f.output, {
        template: f.template,
        delimiter: parseDelimiter(f.delimiter, { allowEmpty: true }),
        // A terminal gets control characters escaped; a pipe or file gets the bytes as stored.
        escape: process.stdout.isTTY ? escapeControls : undefined,
      }),
    });
    if (quiet) return undefined; // the document is out already
    process.stderr.write(
      `consumed ${result.received} message${result.received === 1 ? '' : 's'}${result.nacked ? ` (${result.nacked} sent back for retry)` : ''} in ${(result.elapsedMs / 1000).toFixed(1)} s (${result.rate} msg/s), stopped: ${result.stopReason}\n`,
    );
    return result;
  }
}
