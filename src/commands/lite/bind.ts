import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { bindLiteGroup, type LiteBindResult } from '../../services/lite.js';

export default class LiteBind extends BaseCommand<typeof LiteBind> {
  static override summary =
    'Bind a consumer group to a LITE parent topic, creating the group if needed (RocketMQ 5.5+).';
  static override description = `Only a group bound to a LITE topic (group attribute lite.bind.topic) may consume its lite topics, and a group is bound to one topic. Sets the attribute on every broker of the topic, keeping the group's other settings. Idempotent. Exits 2 for a topic that is not LITE or a broker older than 5.5, 6 for a topic that does not exist.`;
  static override examples = ['<%= config.bin %> lite bind chat-readers --topic chats'];
  static override args = { group: Args.string({ required: true, description: 'Consumer group name.' }) };
  static override flags = {
    ...connectionFlags,
    topic: Flags.string({ char: 't', summary: 'The LITE parent topic.', required: true }),
  };

  async run(): Promise<LiteBindResult> {
    const r = await bindLiteGroup(await this.admin(), { group: this.args.group, topic: this.flags.topic });
    this.log(
      this.forStdout(
        `${r.action} group ${r.group}, bound to LITE topic ${r.topic} on ${r.brokers.map((b) => b.brokerName).join(', ')}`,
      ),
    );
    return r;
  }
}
