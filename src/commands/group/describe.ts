import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { describeGroup, type GroupDescribeResult } from '../../services/group.js';
import { renderTable } from '../../ui/table.js';

export default class GroupDescribe extends BaseCommand<typeof GroupDescribe> {
  static override summary =
    'Show a consumer group: per-queue offsets and lag, consumers online, consume TPS.';
  static override examples = [
    '<%= config.bin %> group describe billing',
    '<%= config.bin %> group describe billing --topic orders --json',
  ];
  static override args = { group: Args.string({ required: true, description: 'Consumer group name.' }) };
  static override flags = {
    ...connectionFlags,
    topic: Flags.string({ char: 't', summary: 'Only this topic.' }),
    cluster: Flags.string({ char: 'c', summary: 'Only brokers of this cluster.' }),
  };

  async run(): Promise<GroupDescribeResult> {
    const r = await describeGroup(await this.admin(), {
      group: this.args.group,
      topic: this.flags.topic,
      cluster: this.flags.cluster,
    });
    this.log(
      this.forStdout(
        `Group: ${r.group}  ${r.online ? `online (${r.consumers.length} consumer${r.consumers.length === 1 ? '' : 's'}, ${r.messageModel})` : 'offline'}  Total lag: ${r.totalLag}  Consume TPS: ${r.consumeTps}`,
      ),
    );
    if (r.consumers.length > 0) {
      this.log('');
      this.log(
        renderTable(
          ['CLIENT ID', 'ADDRESS', 'LANGUAGE', 'VERSION'],
          r.consumers.map((c) => [c.clientId, c.clientAddr, c.language, c.version]),
        ),
      );
    }
    if (r.consumeModes.length > 0) {
      this.log('');
      this.log(
        renderTable(
          ['TOPIC', 'BROKER', 'CONSUME MODE'],
          r.consumeModes.map((m) => [m.topic, m.brokerName, m.mode ?? '-']),
        ),
      );
    }
    this.log('');
    this.log(
      renderTable(
        ['TOPIC', 'BROKER', 'QUEUE', 'BROKER OFFSET', 'CONSUMER OFFSET', 'LAG', 'LAST CONSUMED'],
        r.queues.map((q) => [
          q.topic,
          q.brokerName,
          q.queueId,
          q.brokerOffset,
          q.consumerOffset,
          q.lag,
          q.lastConsumeTime,
        ]),
      ),
    );
    return r;
  }
}
