import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { topicProducers, type TopicProducersResult } from '../../services/connections.js';
import { renderTopicProducers } from '../../ui/connections.js';

export default class TopicProducers extends BaseCommand<typeof TopicProducers> {
  static override summary = 'Producers of a producer group connected to the brokers of a topic.';
  static override description =
    'Brokers track producers by group, not by topic, so the group is required; the topic picks the brokers asked. Producers register by heartbeat, so a producer that only just started may take a few seconds to show. A topic that does not exist exits 6; no producer connected is an empty list, exit 0.';
  static override examples = [
    '<%= config.bin %> topic producers orders --group order-service',
    '<%= config.bin %> topic producers orders -g order-service --json',
  ];
  static override args = { topic: Args.string({ required: true, description: 'Topic name.' }) };
  static override flags = {
    ...connectionFlags,
    group: Flags.string({ char: 'g', summary: 'Producer group.', required: true }),
  };

  async run(): Promise<TopicProducersResult> {
    const r = await topicProducers(await this.admin(), { topic: this.args.topic, group: this.flags.group });
    this.log(renderTopicProducers(r));
    return r;
  }
}
