import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { parseDuration } from '../../core/util/units.js';
import { connectionFlags } from '../../flags.js';
import { createLiteTopic, type LiteCreateResult } from '../../services/lite.js';

export default class LiteCreate extends BaseCommand<typeof LiteCreate> {
  static override summary = 'Create a LITE parent topic, or update it if it exists (RocketMQ 5.5+).';
  static override description = `A LITE topic (topic attribute message.type=LITE) holds any number of lite topics: \`rmq send <topic> --lite-topic L\` creates lite topic L with its first message, and \`rmq consume <topic> --lite-topic L -g G\` reads it with a group bound to the topic (\`rmq lite bind\`). Each lite topic is kept, in order, on one broker of the topic; --expiration drops one that has had no message for that long (lite.topic.expiration; the broker's default: never).

The brokers need enableLmq=true and enableMultiDispatch=true (read at start-up; \`rmq local up --version 5.5\` sets both). Exits 2 for a broker older than 5.5 or one without them.`;
  static override examples = [
    '<%= config.bin %> lite create chats',
    '<%= config.bin %> lite create chats --queues 4 --expiration 1d --json',
  ];
  static override args = { topic: Args.string({ required: true, description: 'Parent topic name.' }) };
  static override flags = {
    ...connectionFlags,
    queues: Flags.integer({ char: 'q', summary: 'Read and write queue count.', default: 8 }),
    expiration: Flags.string({
      summary: 'Drop a lite topic after this long without messages (whole minutes, up to 30d), or "never".',
    }),
    cluster: Flags.string({
      char: 'c',
      summary: 'Create on every master of this cluster.',
      exclusive: ['broker'],
    }),
    broker: Flags.string({ char: 'b', summary: 'Create on this broker only (name or address).' }),
  };

  async run(): Promise<LiteCreateResult> {
    const r = await createLiteTopic(await this.admin(), {
      topic: this.args.topic,
      queues: this.flags.queues,
      expirationMinutes: expirationMinutes(this.flags.expiration),
      cluster: this.flags.cluster,
      broker: this.flags.broker,
      waitMs: this.flags.timeout,
    });
    this.log(
      this.forStdout(
        `${r.action} LITE topic ${r.topic} (${r.queues} queues, lite topics expire ${r.expirationMinutes === null || r.expirationMinutes < 0 ? 'never' : `after ${r.expirationMinutes} min without messages`}) on ${r.brokers.map((b) => b.brokerName).join(', ')}`,
      ),
    );
    if (!r.routed) this.note('the name server does not route the topic yet; it will within 30 s');
    return r;
  }
}

function expirationMinutes(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (v === 'never') return -1;
  const ms = parseDuration(v, '--expiration');
  if (ms % 60_000 !== 0) throw new InvalidArgumentError(`--expiration must be whole minutes, got ${v}`);
  return ms / 60_000;
}
