import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { describeTopic, type TopicDescribeResult } from '../../services/topic.js';
import { renderTable } from '../../ui/table.js';

export default class TopicDescribe extends BaseCommand<typeof TopicDescribe> {
  static override summary = 'Show a topic: route (brokers, queues, permission) and per-queue offsets.';
  static override examples = [
    '<%= config.bin %> topic describe orders',
    '<%= config.bin %> topic describe orders --json',
  ];
  static override args = { topic: Args.string({ required: true, description: 'Topic name.' }) };
  static override flags = { ...connectionFlags };

  async run(): Promise<TopicDescribeResult> {
    const r = await describeTopic(await this.admin(), this.args.topic);
    this.log(this.forStdout(`Topic: ${r.topic}${r.type ? `  Type: ${r.type}` : ''}`));
    this.log(`Messages: ${r.totalMessages}  Last stored: ${r.lastStoreTime ?? 'never'}\n`);
    this.log(
      renderTable(
        ['CLUSTER', 'BROKER', 'ADDRESS', 'WRITE Q', 'READ Q', 'PERM'],
        r.brokers.map((b) => [b.cluster, b.brokerName, b.address, b.writeQueues, b.readQueues, b.perm]),
      ),
    );
    this.log('');
    this.log(
      renderTable(
        ['BROKER', 'QUEUE', 'MIN OFFSET', 'MAX OFFSET', 'MESSAGES', 'LAST STORED'],
        r.queues.map((q) => [q.brokerName, q.queueId, q.minOffset, q.maxOffset, q.messages, q.lastStoreTime]),
      ),
    );
    return r;
  }
}
