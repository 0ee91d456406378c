import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { parentTopicInfo, type ParentTopicInfoResult } from '../../services/lite.js';
import { renderParentTopicInfo } from '../../ui/lite.js';

export default class LiteParent extends BaseCommand<typeof LiteParent> {
  static override summary =
    'Show a LITE parent topic: its lite topics, expiration and bound groups per broker (RocketMQ 5.5+).';
  static override description = `GET_PARENT_TOPIC_INFO on each broker of the topic (mqadmin getParentTopicInfo). Exits 6 for a topic that does not exist, 5 for one that is not LITE (INVALID_PARAMETER), 2 for a broker older than 5.5.`;
  static override examples = [
    '<%= config.bin %> lite parent chats',
    '<%= config.bin %> lite parent chats --json',
  ];
  static override args = { topic: Args.string({ required: true, description: 'The LITE parent topic.' }) };
  static override flags = { ...connectionFlags };

  async run(): Promise<ParentTopicInfoResult> {
    const r = await parentTopicInfo(await this.admin(), this.args.topic);
    this.log(this.forStdout(renderParentTopicInfo(r)));
    return r;
  }
}
