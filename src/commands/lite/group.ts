import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags } from '../../flags.js';
import { liteGroupInfo, type LiteGroupInfoResult } from '../../services/lite.js';
import { renderLiteGroupInfo } from '../../ui/lite.js';

export default class LiteGroup extends BaseCommand<typeof LiteGroup> {
  static override summary =
    "Show a lite group's backlog: one lite topic's offsets, or the lite topics furthest behind (RocketMQ 5.5+).";
  static override description = `GET_LITE_GROUP_INFO on each broker of the parent topic (mqadmin getLiteGroupInfo). With --lite-topic: the broker's and the group's offsets in it and the lag. Without: the group's top --top lite topics by lag, which a broker collects only with liteLagLatencyCollectEnable=true (its default is false; the list is empty otherwise). Exits 6 for a topic that does not exist, 5 for an unknown group or one not bound to a LITE topic, 2 for a group bound to another topic or a broker older than 5.5.`;
  static override examples = [
    '<%= config.bin %> lite group chat-readers --topic chats --lite-topic room-7',
    '<%= config.bin %> lite group chat-readers --topic chats --top 10 --json',
  ];
  static override args = {
    group: Args.string({ required: true, description: 'The group bound to the topic.' }),
  };
  static override flags = {
    ...connectionFlags,
    topic: Flags.string({
      char: 't',
      summary: 'The LITE parent topic the group is bound to.',
      required: true,
    }),
    'lite-topic': Flags.string({ char: 'l', summary: 'Show this lite topic only.' }),
    top: Flags.integer({
      summary: 'Lite topics furthest behind, per broker (without --lite-topic).',
      default: 20,
    }),
  };

  async run(): Promise<LiteGroupInfoResult> {
    const r = await liteGroupInfo(await this.admin(), {
      group: this.args.group,
      topic: this.flags.topic,
      liteTopic: this.flags['lite-topic'],
      top: this.flags.top,
    });
    this.log(this.forStdout(renderLiteGroupInfo(r)));
    return r;
  }
}
