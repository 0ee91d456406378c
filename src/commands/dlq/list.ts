import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { connectionFlags, dlqFilterFlags } from '../../flags.js';
import { type DlqListResult, listDlq, parseTimeBound } from '../../services/dlq.js';
import { renderDlqList } from '../../ui/dlq.js';

export default class DlqList extends BaseCommand<typeof DlqList> {
  static override summary = "List a consumer group's dead letters (%DLQ%<group>) without consuming them.";
  static override description = `Each dead letter with the topic it was sent to, its message id, how many deliveries failed, when it was stored in the DLQ (the last failure) and, when there was only one failure, the first. Reading commits no offset for any group.

--since and --until filter on the time a message was stored in the DLQ.`;
  static override examples = [
    '<%= config.bin %> dlq list billing',
    '<%= config.bin %> dlq list billing --tag paid --since 24h --json',
  ];
  static override args = { group: Args.string({ required: true, description: 'Consumer group name.' }) };
  static override flags = {
    ...connectionFlags,
    ...dlqFilterFlags,
    limit: Flags.integer({ char: 'l', summary: 'List at most this many.', default: 1000 }),
  };

  async run(): Promise<DlqListResult> {
    const f = this.flags;
    const r = await listDlq(await this.admin(), {
      group: this.args.group,
      key: f.key,
      tag: f.tag,
      sinceMs: f.since === undefined ? undefined : parseTimeBound(f.since, '--since'),
      untilMs: f.until === undefined ? undefined : parseTimeBound(f.until, '--until'),
      limit: f.limit,
    });
    this.log(renderDlqList(r));
    return r;
  }
}
