import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { outcomeOfError } from '../exit-codes.js';
import { connectionFlags, duration } from '../flags.js';
import { hintFor } from '../hints.js';
import { runSend, type SendSummary } from '../services/send/index.js';
import { SEND_MODES, type SendRecord } from '../services/send/loop.js';
import { planSend } from '../services/send/plan.js';
import { CHECK_RESULTS, TRANSACTION_ACTIONS } from '../services/send/transaction.js';
import { formatResult, formatSummary, LineWriter, statusPainter } from '../ui/send-output.js';
import { escapeFor } from '../ui/terminal-text.js';

export default class Send extends BaseCommand<typeof Send> {
  static override summary = 'Send messages to a topic.';
  static override description = `The body comes from --body, --file (one message), --size (generated), or standard input: one message per line (--delimiter), or one NDJSON record per line with --input ndjson (the shape \`consume --output ndjson\` prints, so a consume can be replayed).

One result per message goes to stdout (--output human or ndjson): message id (UNIQ_KEY), offset message id, broker, queue, queue offset, status and latency; a summary goes to stderr. A failed message makes the exit code that of its error kind (see the README), after the remaining messages were tried, unless --fail-fast. --json keeps the first 10000 results.`;
  static override examples = [
    '<%= config.bin %> send orders --body \'{"id":1}\' --tag new --key order-1 --property source=web',
    'cat lines.txt | <%= config.bin %> send orders --mode async',
    '<%= config.bin %> consume orders -g copy --output ndjson --until-end | <%= config.bin %> send orders-copy --input ndjson',
    '<%= config.bin %> send orders --size 1k --count 100000 --mode async --output ndjson > results.ndjson',
    '<%= config.bin %> send orders --body hi --delay 30s',
    '<%= config.bin %> send orders --body paid --message-group order-42',
    '<%= config.bin %> send chats --lite-topic room-7 --body hello',
    '<%= config.bin %> send tasks --body urgent --priority 7',
    '<%= config.bin %> send orders --body hi --transaction unknown --check-result commit --wait-check 40s -g tx-group',
  ];
  static override args = { topic: Args.string({ required: true, description: 'Topic to send to.' }) };
  static override flags = {
    ...connectionFlags,
    body: Flags.string({ char: 'b', summary: 'Message body text.', helpGroup: 'BODY' }),
    file: Flags.string({
      char: 'f',
      summary: 'Send this file as one message (with --input ndjson: read records from it).',
      helpGroup: 'BODY',
    }),
    size: Flags.string({
      summary: 'Send generated bodies of this size (e.g. 1024, 4k).',
      helpGroup: 'BODY',
    }),
    count: Flags.integer({
      char: 'c',
      summary: 'How many messages: repeats --body/--file, generates --size; at most this many from stdin.',
      helpGroup: 'BODY',
    }),
    input: Flags.option({
      options: ['lines', 'ndjson'] as const,
      default: 'lines' as const,
      summary: 'Standard input holds message bodies, one per line, or NDJSON records.',
      helpGroup: 'BODY',
    })(),
    delimiter: Flags.string({
      char: 'd',
      summary:
        'Separates messages on standard input (default newline; escapes \\n \\t \\r \\0 \\xHH \\uHHHH \\\\).',
      helpGroup: 'BODY',
    }),
    key: Flags.string({ char: 'k', summary: 'Message key (repeatable).', multiple: true }),
    tag: Flags.string({ char: 't', summary: 'Message tag.' }),
    property: Flags.string({ char: 'p', summary: 'User property name=value (repeatable).', multiple: true }),
    delay: duration({ summary: 'Deliver after this long (RocketMQ 5.x timer), e.g. 10s, 5m.' }),
    'deliver-at': Flags.string({ summary: 'Deliver at this time: ISO 8601 or epoch ms (RocketMQ 5.x).' }),
    'delay-level': Flags.integer({ summary: 'Delay level 1..18 (1s 5s 10s 30s 1m … 2h; 4.x and 5.x).' }),
    'message-group': Flags.string({
      summary: 'FIFO: every message goes to the queue of this group, one after another.',
    }),
    'lite-topic': Flags.string({
      summary: 'Send to this lite topic of the LITE parent topic (RocketMQ 5.5+; letters, digits, - and _).',
    }),
    priority: Flags.integer({
      summary:
        'Priority message (RocketMQ 5.4+, a PRIORITY topic consumed with --pop): 0 and up, higher first; a topic of N queues has N levels.',
    }),
    mode: Flags.option({
      options: SEND_MODES,
      default: 'sync' as const,
      summary: 'sync: one request at a time; async: up to --concurrency in flight; oneway: no reply.',
      helpGroup: 'SENDING',
    })(),
    concurrency: Flags.integer({
      summary: 'Requests in flight with --mode async.',
      default: 64,
      helpGroup: 'SENDING',
    }),
    batch: Flags.integer({
      summary: 'Messages per batch request (SEND_BATCH_MESSAGE).',
      helpGroup: 'SENDING',
    }),
    retries: Flags.integer({
      summary: 'Retries of a failed send, on another broker where there is one (not for oneway).',
      default: 2,
      helpGroup: 'SENDING',
    }),
    compress: Flags.boolean({
      summary: 'zlib-compress bodies of 4 KiB or more, as the Java client does.',
      default: true,
      allowNo: true,
      helpGroup: 'SENDING',
    }),
    group: Flags.string({
      char: 'g',
      summary: 'Producer group.',
      env: 'RMQ_PRODUCER_GROUP',
      default: 'rmq-producer',
      helpGroup: 'SENDING',
    }),
    'fail-fast': Flags.boolean({ summary: 'Stop at the first failed message.', helpGroup: 'SENDING' }),
    transaction: Flags.option({
      options: TRANSACTION_ACTIONS,
      summary: 'Send as a transaction half message, then commit, roll back, or leave it unknown.',
      helpGroup: 'TRANSACTION',
    })(),
    'check-result': Flags.option({
      options: CHECK_RESULTS,
      default: 'commit' as const,
      summary: "Answer to the broker's check-back of an unknown transaction.",
      helpGroup: 'TRANSACTION',
    })(),
    'wait-check': duration({
      summary: 'Stay this long to answer check-backs (ends early once every unknown message is checked).',
      default: 0,
      defaultHelp: async () => '0s',
      helpGroup: 'TRANSACTION',
    }),
    output: Flags.option({
      char: 'o',
      options: ['human', 'ndjson'] as const,
      default: 'human' as const,
      summary: 'Result per message: a line of text, or one JSON object.',
    })(),
    trace: Flags.boolean({
      summary:
        'Write message-trace records (a Pub per stored message, EndTransaction for transactions), as the Java client with enableMsgTrace does.',
      helpGroup: 'TRACE',
    }),
    'trace-topic': Flags.string({
      summary: 'Trace topic to write to (implies --trace).',
      defaultHelp: async () => 'RMQ_SYS_TRACE_TOPIC',
      helpGroup: 'TRACE',
    }),
  };

  async run(): Promise<SendSummary> {
    const f = this.flags;
    const c = await this.connection();
    const plan = await planSend({
      topic: this.args.topic,
      namesrv: c.namesrv.join(';'),
      timeoutMs: c.timeoutMs,
      security: { credentials: c.credentials, tls: c.tls, addressMap: c.addressMap },
      group: f.group,
      body: f.body,
      file: f.file,
      size: f.size,
      count: f.count,
      input: f.input,
      delimiter: f.delimiter,
      keys: f.key,
      tag: f.tag,
      properties: f.property,
      delayMs: f.delay,
      deliverAt: f['deliver-at'],
      delayLevel: f['delay-level'],
      messageGroup: f['message-group'],
      liteTopic: f['lite-topic'],
      priority: f.priority,
      mode: f.mode,
      concurrency: f.concurrency,
      batch: f.batch,
      transaction: f.transaction,
      checkResult: f['check-result'],
      waitCheckMs: f['wait-check'],
      retries: f.retries,
      compress: f.compress,
      failFast: f['fail-fast'],
      trace: f.trace,
      traceTopic: f['trace-topic'],
      stdin: process.stdin,
    });

    const quiet = this.jsonEnabled();
    const out = quiet ? undefined : new LineWriter();
    const paint = statusPainter();
    const escape = escapeFor(process.stdout);
    // Ctrl-C finishes what is in flight (exit 130); ending stdin ends a read that may never
    // finish by itself.
    const signal = this.interruptSignal(() => process.stdin.destroy());
    try {
      const { summary, firstError } = await runSend(
        plan,
        {
          onResult: out
            ? (r: SendRecord) =>
                out.write(f.output === 'ndjson' ? JSON.stringify(r) : formatResult(r, paint, escape))
            : undefined,
          ready: out ? () => out.ready() : undefined,
          note: (t) => this.note(t),
        },
        signal,
      );
      await out?.flush();
      if (!quiet) process.stderr.write(`${formatSummary(summary)}\n`);
      if (summary.interrupted) this.setOutcome('interrupted');
      else if (firstError) {
        this.setOutcome(outcomeOfError(firstError));
        if (!quiet) {
          const hint = hintFor(firstError);
          process.stderr.write(
            `Error: ${summary.failed} message${summary.failed === 1 ? '' : 's'} failed; first: ${escapeFor(process.stderr)(firstError.message)}${
              hint ? ` — ${hint}` : ''
            }\n`,
          );
        }
      }
      return summary;
    } finally {
      await out?.flush();
    }
  }
}
