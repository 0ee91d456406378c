import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { liteTopicInfo, type LiteTopicInfoResult } from '../../services/lite.js';
import { renderLiteTopicInfo } from '../../ui/lite.js';

export default class LiteTopic extends BaseCommand<typeof LiteTopic> {
  static override summary =
    'Show one lite topic: its offsets, the broker it is sharded to, and its subscribers (RocketMQ 5.5+).';
  static override description = `GET_LITE_TOPIC_INFO on each broker of the parent topic (mqadmin getLiteTopicInfo): min and max offset of the lite topic's queue there, the time of its last message, whether the broker is the one the lite topic is sharded to, and the clients subscribed to it (client "*" stands for a whole wildcard group). A lite topic that never had a message shows offsets 0. Exits 6 for a parent that does not exist, 5 for one that is not LITE, 2 for a bad lite topic name or a broker older than 5.5.`;
  static override examples = [
    '<%= config.bin %> lite topic chats room-7',
    '<%= config.bin %> lite topic chats room-7 --json',
  ];
  static override args = {
    topic: Args.string({ required: true, description: 'The LITE parent topic.' }),
    liteTopic: Args.string({ required: true, description: 'The lite topic.' }),
  };
  static override flags = { ...connectionFlags };

  async run(): Promise<LiteTopicInfoResult> {
    const r = await liteTopicInfo(await this.admin(), this.args.topic, this.args.liteTopic);
    this.log(this.forStdout(renderLiteTopicInfo(r)));
    return r;
  }
}
