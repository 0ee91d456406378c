import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { listTopics, type TopicListItem } from '../../services/topic.js';
import { renderTable } from '../../ui/table.js';

/** What `rmq topic list --json` prints. */
export interface TopicListResult {
  topics: TopicListItem[];
}

export default class TopicList extends BaseCommand<typeof TopicList> {
  static override summary = 'List topics with their queues, permission and type.';
  static override examples = ['<%= config.bin %> topic list', '<%= config.bin %> topic list --system --json'];
  static override flags = {
    ...connectionFlags,
    cluster: Flags.string({ char: 'c', summary: 'Only topics on this cluster.' }),
    system: Flags.boolean({ summary: 'Include system, retry and DLQ topics.' }),
    'names-only': Flags.boolean({ summary: 'Print only topic names, one per line.' }),
  };

  async run(): Promise<TopicListResult> {
    const result = await listTopics(await this.admin(), {
      cluster: this.flags.cluster,
      system: this.flags.system,
    });
    if (this.jsonEnabled()) return result;
    if (this.flags['names-only']) {
      // One write: a log call per name cost seconds for 70,000 topics.
      if (result.topics.length > 0) this.log(result.topics.map((t) => this.forStdout(t.name)).join('\n'));
    } else {
      const rows = result.topics.map((t) => [
        t.name,
        t.writeQueues,
        t.readQueues,
        t.perm,
        t.type,
        t.brokers.join(','),
      ]);
      this.log(renderTable(['TOPIC', 'WRITE Q', 'READ Q', 'PERM', 'TYPE', 'BROKERS'], rows));
    }
    return result;
  }
}
