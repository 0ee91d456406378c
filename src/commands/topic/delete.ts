import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { connectionFlags } from '../../flags.js';
import { deleteTopic, type TopicDeleteResult } from '../../services/topic.js';
import { confirm } from '../../ui/confirm.js';

export default class TopicDelete extends BaseCommand<typeof TopicDelete> {
  static override summary = 'Delete a topic from its brokers and the name servers.';
  static override description = 'Asks for confirmation on a terminal; needs --yes when not interactive.';
  static override examples = [
    '<%= config.bin %> topic delete orders',
    '<%= config.bin %> topic delete orders --yes --json',
  ];
  static override args = { topic: Args.string({ required: true, description: 'Topic name.' }) };
  static override flags = {
    ...connectionFlags,
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.' }),
    cluster: Flags.string({ char: 'c', summary: 'Delete only from this cluster.' }),
  };

  async run(): Promise<TopicDeleteResult | undefined> {
    const { topic } = this.args;
    if (!this.flags.yes) {
      if (!process.stdin.isTTY || this.jsonEnabled()) {
        throw new InvalidArgumentError(`refusing to delete topic "${topic}" without confirmation`, {
          hint: 'pass --yes when running non-interactively',
        });
      }
      if (!(await confirm(`Delete topic ${topic} and all its messages?`))) {
        this.log('aborted');
        return undefined;
      }
    }
    const result = await deleteTopic(await this.admin(), topic, { cluster: this.flags.cluster });
    this.log(
      this.forStdout(
        `deleted topic ${topic} from ${result.brokers.map((b) => b.brokerName).join(', ') || 'the name servers'}`,
      ),
    );
    return result;
  }
}
