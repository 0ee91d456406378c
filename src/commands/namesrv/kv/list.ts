import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { connectionFlags } from '../../../flags.js';
import { type KvListResult, listKv } from '../../../services/namesrv-kv.js';
import { renderKvList } from '../../../ui/namesrv.js';

export default class NamesrvKvList extends BaseCommand<typeof NamesrvKvList> {
  static override summary = 'The keys of a KV-config namespace on every name server, side by side.';
  static override description =
    'Name servers keep their KV config each on its own: with several, each key shows its value on each and whether they agree. A namespace no name server has exits 6; a name server that does not answer gets a row with its error and the run exits 3.';
  static override examples = [
    '<%= config.bin %> namesrv kv list --namespace ORDER_TOPIC_CONFIG',
    '<%= config.bin %> namesrv kv list --namespace my-app --json',
  ];
  static override flags = {
    ...connectionFlags,
    namespace: Flags.string({ required: true, summary: 'KV namespace.' }),
  };

  async run(): Promise<KvListResult> {
    const r = await listKv(await this.admin(), { namespace: this.flags.namespace });
    this.log(renderKvList(r));
    if (r.namesrvs.some((n) => n.error)) this.setOutcome('connection');
    return r;
  }
}
