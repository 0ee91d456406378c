import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { liteClientInfo, type LiteClientInfoResult } from '../../services/lite.js';
import { renderLiteClientInfo } from '../../ui/lite.js';

export default class LiteClient extends BaseCommand<typeof LiteClient> {
  static override summary = "Show one consumer client's lite subscriptions per broker (RocketMQ 5.5+).";
  static override description = `GET_LITE_CLIENT_INFO on each broker of the parent topic (mqadmin getLiteClientInfo): how many lite topics the client subscribed there, which (up to --max), and when it last polled. The client id is what \`rmq lite topic\` lists as a subscriber. A broker that holds no subscription of the client shows "-". Exits 6 for a topic that does not exist, 5 for a topic that is not LITE, an unknown group or a group bound to another topic, 2 for a broker older than 5.5.`;
  static override examples = [
    '<%= config.bin %> lite client chats -g chat-readers --client-id 10.0.0.5@4711#1733130000000',
  ];
  static override args = { topic: Args.string({ required: true, description: 'The LITE parent topic.' }) };
  static override flags = {
    ...connectionFlags,
    group: Flags.string({ char: 'g', summary: 'The group bound to the topic.', required: true }),
    'client-id': Flags.string({ summary: 'The client id.', required: true }),
    max: Flags.integer({ summary: 'Most lite topics listed per broker (up to 10000).', default: 1000 }),
  };

  async run(): Promise<LiteClientInfoResult> {
    const r = await liteClientInfo(await this.admin(), {
      topic: this.args.topic,
      group: this.flags.group,
      clientId: this.flags['client-id'],
      max: this.flags.max,
    });
    this.log(this.forStdout(renderLiteClientInfo(r)));
    return r;
  }
}
