import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { createTopic, TOPIC_TYPES, type TopicCreateResult } from '../../services/topic.js';

export default class TopicCreate extends BaseCommand<typeof TopicCreate> {
  static override summary = 'Create a topic, or update it if it exists (idempotent).';
  static override description =
    'Creates the topic on every master of --cluster, on one --broker, or, by default, on every master the name server knows. Waits until the name server routes it.';
  static override examples = [
    '<%= config.bin %> topic create orders',
    '<%= config.bin %> topic create orders --queues 16 --cluster DefaultCluster',
    '<%= config.bin %> topic create payments --type FIFO --json',
  ];
  static override args = { topic: Args.string({ required: true, description: 'Topic name.' }) };
  static override flags = {
    ...connectionFlags,
    queues: Flags.integer({ char: 'q', summary: 'Read and write queue count.', default: 8 }),
    'read-queues': Flags.integer({ summary: 'Read queue count (defaults to --queues).' }),
    'write-queues': Flags.integer({ summary: 'Write queue count (defaults to --queues).' }),
    perm: Flags.option({
      options: ['rw', 'r', 'w'] as const,
      summary: 'Permission.',
      default: 'rw' as const,
    })(),
    cluster: Flags.string({
      char: 'c',
      summary: 'Create on every master of this cluster.',
      exclusive: ['broker'],
    }),
    broker: Flags.string({ char: 'b', summary: 'Create on this broker only (name or address).' }),
    order: Flags.boolean({
      summary: 'Mark as an ordered topic (name-server order config, like mqadmin -o).',
    }),
    type: Flags.option({ options: TOPIC_TYPES, summary: 'Message type (RocketMQ 5.x topic attribute).' })(),
  };

  async run(): Promise<TopicCreateResult> {
    const perm = { rw: 6, r: 4, w: 2 }[this.flags.perm];
    const result = await createTopic(await this.admin(), {
      topic: this.args.topic,
      queues: this.flags.queues,
      readQueues: this.flags['read-queues'],
      writeQueues: this.flags['write-queues'],
      perm,
      order: this.flags.order === true,
      type: this.flags.type,
      cluster: this.flags.cluster,
      broker: this.flags.broker,
      waitMs: this.flags.timeout,
    });
    this.log(
      this.forStdout(
        `${result.action} topic ${result.topic} (${result.writeQueues} write / ${result.readQueues} read queues, ${result.perm}${result.type ? `, ${result.type}` : ''}) on ${result.brokers.map((b) => b.brokerName).join(', ')}`,
      ),
    );
    if (!result.routed) this.note('the name server does not route the topic yet; it will within 30 s');
    return result;
  }
}
